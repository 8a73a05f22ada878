package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// local runs the checks that need no network.
func (r *run) local() {
	if r.d.ConfigErr != nil {
		r.fail(CheckConfig, "the configuration does not load: "+r.d.ConfigErr.Error(),
			"correct the setting named above in the config file or the environment (syncops --help lists them)")
	} else {
		r.ok(CheckConfig, "the configuration loads and its values are valid")
	}
	r.database()
	r.disk()
	r.schedules()
	r.files()
}

func (r *run) database() {
	switch {
	case r.d.Store == nil && r.d.StoreErr != nil:
		r.fail(CheckDatabase, "the database cannot be opened: "+r.d.StoreErr.Error(),
			"check SYNCOPS_DB (or that the data directory is writable) and that the database server runs")
		r.notChecked(CheckMigrations, "no database")
		return
	case r.d.Store == nil:
		r.notChecked(CheckDatabase, "no configuration")
		r.notChecked(CheckMigrations, "no database")
		return
	}
	if err := r.d.Store.Ping(r.ctx); err != nil {
		r.fail(CheckDatabase, "the database does not answer: "+err.Error(), "check SYNCOPS_DB and that the database server runs")
		r.notChecked(CheckMigrations, "no database")
		return
	}
	r.ok(CheckDatabase, "reachable: "+r.d.Store.Describe())
	latest, err := r.d.Store.LatestSchemaVersion(r.ctx)
	if err != nil {
		r.fail(CheckMigrations, "this build's migrations cannot be read: "+err.Error(), "reinstall syncops")
		return
	}
	have, err := r.d.Store.SchemaVersion(r.ctx, r.d.Store.Reader())
	if err != nil {
		have = 0 // a new database has no migrations table yet
	}
	switch {
	case have == latest:
		r.ok(CheckMigrations, fmt.Sprintf("the schema is current (version %d)", have))
	case have > latest:
		r.fail(CheckMigrations, fmt.Sprintf("the database is at schema version %d, newer than this build's %d", have, latest),
			"run the newer syncops that migrated this database")
	default:
		r.fail(CheckMigrations, fmt.Sprintf("the database is at schema version %d of %d", have, latest),
			"run `syncops doctor --fix` (or start syncops, which migrates at start)")
	}
}

func (r *run) disk() {
	if r.d.DataDir == "" {
		r.notChecked(CheckDisk, "no data directory")
		return
	}
	free, err := r.d.FreeSpace(r.d.DataDir)
	if err != nil {
		r.fail(CheckDisk, "the data directory cannot be read: "+err.Error(),
			"create "+r.d.DataDir+" or set SYNCOPS_DATA_DIR to a writable directory")
		return
	}
	msg := fmt.Sprintf("%s free in %s", bytesText(free), r.d.DataDir)
	switch {
	case free < r.d.MinFreeBytes:
		r.fail(CheckDisk, msg+" (below "+bytesText(r.d.MinFreeBytes)+")", "free disk space; the database cannot grow")
	case free < r.d.WarnFreeBytes:
		r.warn(CheckDisk, msg+" (below "+bytesText(r.d.WarnFreeBytes)+")", "free disk space before the database fills it")
	default:
		r.ok(CheckDisk, msg)
	}
}

// freeSpace is the space available to us in dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%d MiB", n>>20)
	}
}

func (r *run) schedules() {
	if r.d.Schedules == nil {
		reason := "the database is not ready"
		if r.d.SchedulesErr != nil {
			reason = r.d.SchedulesErr.Error()
		}
		r.notChecked(CheckSchedules, reason)
		return
	}
	views, err := r.d.Schedules(r.ctx)
	if err != nil {
		r.fail(CheckSchedules, "the schedules cannot be read: "+err.Error(), "check the database")
		return
	}
	var problems []string
	enabled := 0
	for _, v := range views {
		if !v.Enabled {
			continue
		}
		enabled++
		if v.Problem != "" {
			problems = append(problems, v.JobType+": "+v.Problem)
		}
	}
	if len(problems) > 0 {
		r.fail(CheckSchedules, strings.Join(problems, "; "),
			"correct it with `syncops schedule set TYPE CRON` or turn it off with `syncops schedule set TYPE off`")
		return
	}
	r.ok(CheckSchedules, plural(enabled, "enabled schedule", "enabled schedules")+", all valid")
}

// files checks that every key and token file is readable and not readable
// by everyone: a world-readable token file gives the shop away.
func (r *run) files() {
	var bad []string
	var fixes []string
	checked := 0
	for _, f := range r.d.Files {
		if f.Path == "" {
			continue
		}
		info, err := os.Stat(f.Path)
		if errors.Is(err, fs.ErrNotExist) && f.Optional {
			continue
		}
		checked++
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s %s: %s", f.Label, f.Path, describeStatErr(err)))
			fixes = append(fixes, "create it or correct "+f.Env)
			continue
		}
		if fh, err := os.Open(f.Path); err != nil {
			bad = append(bad, fmt.Sprintf("%s %s is not readable: %s", f.Label, f.Path, describeStatErr(err)))
			fixes = append(fixes, "let the user running syncops read "+f.Path)
			continue
		} else {
			_ = fh.Close()
		}
		if info.Mode().Perm()&0o004 != 0 {
			bad = append(bad, fmt.Sprintf("%s %s is readable by everyone (mode %04o)", f.Label, f.Path, info.Mode().Perm()))
			fixes = append(fixes, "chmod 600 "+f.Path)
		}
	}
	if len(bad) > 0 {
		r.fail(CheckFiles, strings.Join(bad, "; "), strings.Join(fixes, "; "))
		return
	}
	r.ok(CheckFiles, plural(checked, "key or token file", "key and token files")+" readable and private")
}

func describeStatErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}
