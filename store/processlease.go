package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ProcessLeaseError refuses a second process that would run jobs (and so
// call the APIs) on a SQLite database another process already runs them
// on. With SQLite one process is the rule: its API governors are the whole
// budget, and nothing shares them with another process.
type ProcessLeaseError struct {
	Path string
	PID  int // the holder's process id; 0 when unknown
}

func (e *ProcessLeaseError) Error() string {
	holder := "another syncops process"
	if e.PID > 0 {
		holder = fmt.Sprintf("another syncops process (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s is running jobs on the SQLite database %s, and with SQLite only one process may call the APIs "+
		"(their rate limits are counted in that process): stop it, or use --detach to hand jobs to it, "+
		"or move to PostgreSQL to run several instances", holder, e.Path)
}

// TakeProcessLease makes this process the one that runs jobs on a SQLite
// database, until release (or the process's end: the kernel drops the lock
// of a process that dies). A second process gets *ProcessLeaseError at
// once. On PostgreSQL, where instances share the API budgets through the
// database, it takes nothing.
func (s *Store) TakeProcessLease() (release func(), err error) {
	if s.dialect != SQLite {
		return func() {}, nil
	}
	path := s.dsn + ".jobs-lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("process lease: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		var pid int
		if b, rerr := os.ReadFile(path); rerr == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &ProcessLeaseError{Path: s.dsn, PID: pid}
		}
		return nil, fmt.Errorf("process lease %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
