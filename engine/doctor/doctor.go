// Package doctor checks that syncops can work: its configuration, the
// database, the disk, both APIs and what they granted, the Shopify setup
// the syncs rely on, the location mappings, the clocks, the schedules and
// the permissions of the files that hold keys and tokens. Each check ends
// ok, warn or fail, with a message and what to do. `syncops doctor` prints
// the report (exit 1 on any failure), `syncops demo` shows it at start, and
// the console can show it on a page through Doctor.Run.
//
// A fix (Run with Fix) is an operator's action: a viewer is refused with
// engine.ErrForbidden, and every change is written to the audit log.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/nhanh"
	"syncops/clients/serverclock"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/nhanhtoken"
	"syncops/engine/scheduler"
	"syncops/store"
)

// Status is a check's outcome.
type Status string

// Outcomes, best first.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check names, in report order.
const (
	CheckConfig             = "config"
	CheckDatabase           = "database"
	CheckMigrations         = "migrations"
	CheckDisk               = "disk"
	CheckSchedules          = "schedules"
	CheckFiles              = "files"
	CheckNhanhCredentials   = "nhanh.credentials"
	CheckNhanhBusiness      = "nhanh.business"
	CheckNhanhToken         = "nhanh.token"
	CheckNhanhDepots        = "nhanh.depots"
	CheckShopifyShop        = "shopify.shop"
	CheckShopifyAPIVersion  = "shopify.api_version"
	CheckShopifyScopes      = "shopify.scopes"
	CheckShopifyMetafield   = "shopify.metafield"
	CheckLocations          = "locations"
	CheckClockNhanh         = "clock.nhanh"
	CheckClockShopify       = "clock.shopify"
	metafieldOwnerType      = "CUSTOMER"
	metafieldDefinitionName = "Total spent (from Nhanh)"
)

// The metafield the customer sync writes lifetime spend to.
const (
	MetafieldNamespace = "custom"
	MetafieldKey       = "total_spent"
	MetafieldType      = "number_integer"
)

// RequiredScopes are the Shopify access scopes the syncs use.
var RequiredScopes = []string{"read_customers", "write_customers", "read_products", "read_inventory",
	"write_inventory", "read_locations"}

// Defaults of Deps.
const (
	// DefaultWarnFreeBytes and DefaultMinFreeBytes bound the free space in
	// the data directory (SQLite and its WAL grow with the mirror tables).
	DefaultWarnFreeBytes = 1 << 30
	DefaultMinFreeBytes  = 100 << 20
	// DefaultWarnSkew and DefaultMaxSkew bound the clock difference to the
	// APIs: Nhanh's lock times and updatedAt watermarks are the server's.
	DefaultWarnSkew = time.Minute
	DefaultMaxSkew  = 5 * time.Minute
	// DefaultAPIVersionSupport is how long Shopify supports a version after
	// its release.
	DefaultAPIVersionSupport = 365 * 24 * time.Hour
)

// Check is one check's result.
type Check struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	// Fix says what to do; empty when nothing needs doing.
	Fix string `json:"fix,omitempty"`
	// Fixed is set when Run with Fix repaired what the check found.
	Fixed bool `json:"fixed,omitempty"`
}

// Report is the outcome of every check.
type Report struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"` // no check failed (warnings allowed)
	Checks []Check   `json:"checks"`
}

// Count returns how many checks ended with st.
func (r Report) Count(st Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == st {
			n++
		}
	}
	return n
}

// Find returns the check named name.
func (r Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// File is a file holding keys or tokens whose permissions are checked.
type File struct {
	// Label names it for the operator, e.g. "SSH host key".
	Label string
	Path  string
	// Env is the setting that names it, for the fix text.
	Env string
	// Optional files may be missing (e.g. a host key created at first start).
	Optional bool
}

// Deps are what the doctor checks. A nil client or store is reported with
// the matching error, so the doctor works on an install that is half set up.
type Deps struct {
	Clock  clockwork.Clock
	Logger *slog.Logger

	// ConfigErr is why the configuration did not load or validate.
	ConfigErr error
	DataDir   string
	Files     []File

	Store    *store.Store
	StoreErr error
	// Schedules lists the schedules with their problems; nil when they
	// cannot be read (SchedulesErr says why).
	Schedules    func(context.Context) ([]scheduler.ScheduleView, error)
	SchedulesErr error

	Nhanh          *nhanh.Client
	NhanhErr       error
	NhanhSecretKey string
	NhanhDate      *serverclock.Recorder
	Token          *nhanhtoken.Watcher
	// Reauthorize tells the operator how to grant Nhanh access again.
	Reauthorize string

	Shopify     *shopify.Client
	ShopifyErr  error
	ShopifyDate *serverclock.Recorder

	// FreeSpace returns the bytes available in dir (statfs when nil).
	FreeSpace                   func(dir string) (uint64, error)
	WarnFreeBytes, MinFreeBytes uint64
	WarnSkew, MaxSkew           time.Duration
	APIVersionSupport           time.Duration
}

// Doctor runs the checks.
type Doctor struct {
	d Deps
}

// New returns a doctor over d, filling its defaults.
func New(d Deps) *Doctor {
	if d.Clock == nil {
		d.Clock = clockwork.NewRealClock()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.FreeSpace == nil {
		d.FreeSpace = freeSpace
	}
	if d.WarnFreeBytes == 0 {
		d.WarnFreeBytes = DefaultWarnFreeBytes
	}
	if d.MinFreeBytes == 0 {
		d.MinFreeBytes = DefaultMinFreeBytes
	}
	if d.WarnSkew == 0 {
		d.WarnSkew = DefaultWarnSkew
	}
	if d.MaxSkew == 0 {
		d.MaxSkew = DefaultMaxSkew
	}
	if d.APIVersionSupport == 0 {
		d.APIVersionSupport = DefaultAPIVersionSupport
	}
	if d.Token == nil {
		d.Token = nhanhtoken.New(d.Clock, d.Logger, time.Time{}, d.Reauthorize)
	}
	if d.Reauthorize == "" {
		d.Reauthorize = "run `syncops init` to grant access again"
	}
	return &Doctor{d: d}
}

// RunOptions say how to run.
type RunOptions struct {
	// Fix repairs what can be repaired safely (today: creates the missing
	// metafield definition). It needs an operator.
	Fix   bool
	Actor engine.Actor
}

// Run runs every check. With Fix, a viewer is refused with
// engine.ErrForbidden before anything is checked.
func (doc *Doctor) Run(ctx context.Context, opts RunOptions) (Report, error) {
	if opts.Fix {
		if err := opts.Actor.Authorize("doctor --fix"); err != nil {
			return Report{}, err
		}
	}
	r := &run{d: doc.d, ctx: ctx, fix: opts.Fix, actor: opts.Actor}
	r.local()
	r.nhanhChecks()
	r.shopifyChecks()
	r.locations()
	r.clocks()
	rep := Report{At: doc.d.Clock.Now(), OK: true, Checks: r.checks}
	for _, c := range rep.Checks {
		if c.Status == StatusFail {
			rep.OK = false
		}
	}
	return rep, ctx.Err()
}

// run is one Run's state: the checks so far and what later checks reuse.
type run struct {
	d     Deps
	ctx   context.Context
	fix   bool
	actor engine.Actor

	checks []Check

	grant     *nhanh.Grant
	depots    []nhanh.Depot
	depotsErr error
	nhanhDown string // why Nhanh checks that need an answer were not run
	shopDown  string
}

func (r *run) add(name string, st Status, msg, fix string) *Check {
	r.checks = append(r.checks, Check{Name: name, Status: st, Message: msg, Fix: fix})
	return &r.checks[len(r.checks)-1]
}

func (r *run) ok(name, msg string)        { r.add(name, StatusOK, msg, "") }
func (r *run) warn(name, msg, fix string) { r.add(name, StatusWarn, msg, fix) }
func (r *run) fail(name, msg, fix string) { r.add(name, StatusFail, msg, fix) }

// notChecked fails a check that could not run because something it needs
// failed; the earlier check says what to do.
func (r *run) notChecked(name, why string) {
	r.fail(name, "not checked: "+why, "fix the check above first")
}

// audit records a fix in the audit log.
func (r *run) audit(action, detail string) error {
	if r.d.Store == nil {
		return errors.New("no database to record the change in")
	}
	return r.d.Store.AddAudit(r.ctx, r.d.Store.DB(), store.AuditEntry{At: r.d.Clock.Now(), Actor: r.actor.Name,
		ActorKind: store.ActorKind(r.actor.Kind), Action: action, Detail: detail})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
