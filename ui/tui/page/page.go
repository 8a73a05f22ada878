// Package page is the contract between the console's root model and its
// pages: the Page interface, the environment every page shares (engine,
// actor, clock, styles), and the messages pages use to ask the root for
// navigation or to report an outcome to the operator.
//
// A page never blocks: it returns tea.Cmds that call the engine, and the
// results come back to it as its own typed messages. The root forwards every
// non-key message to every page (each ignores what is not its own) and key
// presses to the active page only.
package page

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/ui/tui/styles"
)

// ID names a page.
type ID int

// The console's pages, in tab order.
const (
	Overview ID = iota
	Jobs
	Detail
	Schedules
	Locations
	Doctor
	Streams
	Settings
	Mappings
)

// Count is the number of pages.
const Count = 9

// Page is one screen of the console.
type Page interface {
	help.KeyMap
	// Title names the page in the tab bar.
	Title() string
	// Activate is called when the page comes to the front and returns the
	// command that loads or refreshes its data.
	Activate() tea.Cmd
	// Update handles a message; pages are pointers and change in place.
	Update(msg tea.Msg) tea.Cmd
	// View renders the page into exactly the size last given to SetSize.
	View() string
	// SetSize gives the page the size of the body area.
	SetSize(width, height int)
	// Capturing is true while the page takes text or waits for an answer
	// (a form, a filter, a dialog): the root then passes every key to it,
	// including esc, q and digits.
	Capturing() bool
}

// DefaultCallTimeout bounds one engine call made for the operator.
const DefaultCallTimeout = 30 * time.Second

// Env is what every page shares for the life of one program. The root owns
// it and updates Styles and Now; pages only read it.
type Env struct {
	Engine   *engine.Engine
	Actor    engine.Actor
	ReadOnly bool
	Clock    clockwork.Clock
	Location *time.Location
	Styles   styles.Styles
	// Now is the clock's time at the last update, so one frame shows one
	// consistent time.
	Now time.Time
	// Active is the page in front; pages in the back defer their reloads
	// until they are activated again.
	Active ID
	// Ctx ends when the program ends; engine calls derive from it.
	Ctx context.Context
	// Spinner is the current frame of the spinner pages draw beside work
	// that is pending; the root moves it on while a Pender is pending.
	Spinner string
}

// Loading is text for work in progress, with the spinner's frame.
func (e *Env) Loading(text string) string {
	if e.Spinner == "" {
		return text
	}
	return e.Spinner + " " + text
}

// Call returns a context for one engine call.
func (e *Env) Call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.Ctx, DefaultCallTimeout)
}

// ErrReadOnly is why a viewer's action is refused. It is the engine's own
// refusal (errors.Is(ErrReadOnly, engine.ErrForbidden)) in friendlier words.
var ErrReadOnly error = readOnlyError{}

type readOnlyError struct{}

func (readOnlyError) Error() string { return "this is a read-only session" }
func (readOnlyError) Unwrap() error { return engine.ErrForbidden }

// Refuse returns a command reporting that action is refused when the
// session is read-only, and nil when the action may go ahead. It only words
// the refusal kindly and saves a round trip: the engine refuses a viewer's
// change (Env.Actor carries the role) whether or not a page asked here.
func (e *Env) Refuse(action string) tea.Cmd {
	if !e.ReadOnly {
		return nil
	}
	return Fail(action+" refused", ErrReadOnly)
}

// OpenJobMsg asks the root to show a job's detail page, with an optional
// notice saying why.
type OpenJobMsg struct {
	ID     engine.JobID
	Notice string
}

// ErrorMsg reports a failed action to the operator; the console carries on.
type ErrorMsg struct {
	Action string
	Err    error
}

func (m ErrorMsg) Error() string {
	text := m.Err.Error()
	if m.Action == "" {
		return text
	}
	// The engine's errors start by saying what failed ("restart job 4:
	// ..."); when the action already says it ("force restart job #4"), the
	// same words would be written twice.
	said := strings.ReplaceAll(m.Action, "#", "")
	if first, rest, ok := strings.Cut(text, ": "); ok {
		first = strings.ReplaceAll(first, "#", "")
		if said == first || strings.HasSuffix(said, " "+first) {
			text = rest
		}
	}
	return m.Action + ": " + text
}

// NoticeMsg reports a successful action to the operator.
type NoticeMsg struct{ Text string }

// JobsChangedMsg carries engine events: jobs as they are now, newest
// snapshot of each job last.
type JobsChangedMsg struct{ Jobs []engine.Job }

// Fail returns a command that reports err for action.
func Fail(action string, err error) tea.Cmd {
	return func() tea.Msg { return ErrorMsg{Action: action, Err: err} }
}

// Notify returns a command that reports text.
func Notify(format string, args ...any) tea.Cmd {
	text := fmt.Sprintf(format, args...)
	return func() tea.Msg { return NoticeMsg{Text: text} }
}

// Open returns a command that opens a job's detail page.
func Open(id engine.JobID) tea.Cmd {
	return func() tea.Msg { return OpenJobMsg{ID: id} }
}

// ClickMsg is a left click on the page body, in cells from the body's top
// left corner. The root sends it to the page in front only.
type ClickMsg struct{ X, Y int }

// WheelMsg is a turn of the mouse wheel over the page body: Delta is -1
// up, +1 down. The root sends it to the page in front only.
type WheelMsg struct{ X, Y, Delta int }

// Copy returns a command that puts text on the operator's clipboard and
// says what was copied. The clipboard is set with an OSC 52 sequence, which
// the operator's terminal carries out, so it works over SSH too.
func Copy(what, text string) tea.Cmd {
	return tea.Batch(tea.SetClipboard(text), Notify("copied %s to the clipboard", what))
}

// TickMsg is the root's redraw tick, given to every page so text that
// depends on the time ("running for 3m") can be rebuilt in Update.
type TickMsg struct{}

// Closer is a page that can show a view over its main one (a record's
// detail): esc closes that view before the console goes back a page.
type Closer interface {
	// CloseView closes the view and reports whether one was open.
	CloseView() bool
}

// Pender is a page that may be waiting for the engine; the root animates
// a spinner (Env.Spinner) while the page in front is.
type Pender interface {
	Pending() bool
}

// Ask returns a command that makes one engine call for the operator (under
// Env.Call's deadline) and hands its answer to reply, which wraps it in the
// page's own message.
func Ask[T any](env *Env, call func(ctx context.Context) (T, error), reply func(T, error) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := env.Call()
		defer cancel()
		v, err := call(ctx)
		return reply(v, err)
	}
}

// OpenRecordMsg asks the root to show the mappings page with the mapping
// of a Nhanh record, or the record alone when it has none (why it was not
// matched, its candidates), for example from a match job's failed item.
type OpenRecordMsg struct {
	Kind    engine.MappingKind
	NhanhID int64
}
