// Package tui is syncops' terminal console, a Bubble Tea program an
// operator drives from the keyboard: an overview of every job type with live
// progress, the job history with state tabs, a job's detail with its failed
// items, schedules and location mappings.
//
// The root Model composes one model per page (see package page). It handles
// the global keys (help, back, page switching, quit), cascades the window
// size, routes messages, and draws the tab bar, the message line, the status
// bar and the help line around the active page. Every engine call runs in a
// tea.Cmd; engine events arrive through one subscription that a command
// waits on and re-arms. A clock tick keeps durations and countdowns
// current: every second while a job is active or an API is locked, every
// few seconds otherwise (relative times such as "in 3m" on an idle screen).
// A spinner turns while the page in front waits for the engine. Every timer
// runs on the injected clock.
//
// The SSH server runs one program per session: build it with NewProgram (or
// New) per session, pass the session's context in Options.Context, and the
// model stops following the engine when that context ends.
package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/jonboulle/clockwork"

	"syncops/engine"
	doctorpage "syncops/ui/tui/pages/doctor"
	"syncops/ui/tui/pages/locations"
	"syncops/ui/tui/pages/schedules"
)

// Options configure a console.
type Options struct {
	// Engine is the engine every action goes through (required).
	Engine *engine.Engine
	// Actor is who acts, for the audit log.
	Actor engine.Actor
	// ReadOnly makes a viewer's console: every action is refused with a
	// clear message and nothing changes.
	ReadOnly bool
	// DatabaseName is shown in the status bar.
	DatabaseName string
	// Sandbox shows a SANDBOX banner (the demo runs against fake APIs).
	Sandbox bool
	// Clock gives durations, ETAs and "ago" texts; nil means the real clock.
	Clock clockwork.Clock
	// Location is the time zone times are shown in; nil means time.Local.
	Location *time.Location
	// Budgets returns each API's live budget for the status bar; nil hides
	// it. It is called on the program's goroutine after engine events and
	// on redraw ticks, so it must be cheap and, when sessions share it,
	// safe for concurrent use.
	Budgets func() []Budget
	// Schedules lists and edits schedules; nil makes the schedules page say
	// they are unavailable.
	Schedules ScheduleSource
	// Locations lists and edits location mappings; nil makes the locations
	// page say they are unavailable.
	Locations LocationSource
	// Doctor runs the doctor's checks (engine/doctor) for the doctor page,
	// without fixing anything; nil makes the page say it is unavailable.
	Doctor DoctorRunner
	// DoctorAtStart runs the doctor as the console opens (the demo and the
	// local console) and says on the message line whether all is green.
	DoctorAtStart bool
	// Setup lists what the API settings lack, one line per API (the app's
	// SetupNeeded). When it is not empty the first screen says what is
	// missing and how to run `syncops init`, instead of offering job types
	// whose every start would fail.
	Setup []string
	// NhanhToken returns the Nhanh token's expiry state (the app's
	// NhanhTokenStatus) for the status bar; the console warns once as each
	// threshold (30, 7, 1 days left) is crossed and when it expires. Nil
	// hides it. Called on the redraw tick; it must be cheap.
	NhanhToken func() TokenStatus
	// OwnsEngine is true for the local console, whose quitting stops the
	// engine: quitting while jobs are active then asks first, naming them,
	// and ExitNote says which were paused. An SSH session leaves the engine
	// running and quits at once.
	OwnsEngine bool
	// Mouse turns on mouse reporting (cell motion): clicks on tabs, rows
	// and dialog buttons, and the wheel. The local console sets it; an SSH
	// face sets it only when the client is known to handle mouse reports,
	// since a terminal that does not would print them as text.
	Mouse bool
	// Context is the session's lifetime; when it ends the console stops
	// following the engine. Nil means it lives until Close or quit.
	Context context.Context
}

// Budget is one API's rate budget as the status bar shows it; the app's
// Budgets returns them.
type Budget = engine.APIBudget

// Budget units.
const (
	BudgetPoints   = engine.BudgetPoints
	BudgetRequests = engine.BudgetRequests
)

// ScheduleSource is the scheduler as the console uses it;
// *scheduler.Scheduler satisfies it.
type ScheduleSource = schedules.Source

// DoctorRunner runs every doctor check once; (*doctor.Doctor).Run with an
// actor and no fix, wrapped in a closure, is one.
type DoctorRunner = doctorpage.Runner

// LocationSource lists and edits location mappings.
type LocationSource = locations.Source

// The location page's plain view types, which a LocationSource returns.
type (
	LocationsView   = locations.View
	NhanhDepot      = locations.Depot
	ShopifyLocation = locations.Location
	LocationMapping = locations.Mapping
)

// ErrNoEngine is New's panic value when Options.Engine is missing.
var ErrNoEngine = errors.New("tui: no engine")

func (o Options) withDefaults() (Options, error) {
	if o.Engine == nil {
		return o, ErrNoEngine
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	return o, nil
}

// NewProgram builds a Bubble Tea program running a console. It panics when
// opts has no engine, a programming error.
func NewProgram(opts Options, teaOpts ...tea.ProgramOption) *tea.Program {
	return tea.NewProgram(New(opts), teaOpts...)
}
