package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/enginetest"
	"syncops/ui/tui"
)

// zone is the operators' zone; views show times in it. The embedded zone
// database makes it load on any machine.
var zone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return loc
}()

// t0 is the fake clock's start: every time in the golden files derives
// from it.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, zone)

// waitTimeout bounds every wait for the console to show something.
const waitTimeout = 30 * time.Second

// operator is who acts in the tests.
var operator = engine.Actor{Name: "ops", Kind: engine.ActorLocal}

// sizes are the terminal sizes every golden test runs at.
var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// bundle is one console test's world.
type bundle struct {
	store   *enginetest.DB
	engine  *engine.Engine
	clock   *clockwork.FakeClock
	reached chan engine.JobID // a STEPPED or WAITER body counted its first items
	// proceed moves a STEPPED or WAITER body on: the first send makes it
	// checkpoint (writing its progress at once), the second lets STEPPED
	// finish.
	proceed chan struct{}
	tm      *teatest.TestModel
	rec     *recorder
}

// world configures a bundle.
type world struct {
	workers   bool // run jobs (otherwise the engine only inserts and reads)
	readOnly  bool
	actor     *engine.Actor // nil: operator
	owns      bool          // the console owns the engine, as the local one does
	sandbox   bool
	budgets   bool // show API budgets, Nhanh locked for 12s
	schedules func(b *bundle) tui.ScheduleSource
	locations tui.LocationSource
	seed      func(t testing.TB, b *bundle)
	// kinds replace the test kinds (for views of the real job types).
	kinds []engine.Kind
	// doctor runs the doctor page's checks; doctorAtStart runs them at once.
	doctor        tui.DoctorRunner
	doctorAtStart bool
	// setup lists the missing API settings (the setup view).
	setup []string
	// token gives the Nhanh token's state on the bundle's clock.
	token func(b *bundle) func() tui.TokenStatus
	// settings are the engine's declared settings (none by default).
	settings []engine.SettingSpec
}

// testKinds are job kinds whose bodies the tests control.
func testKinds(b *bundle) []engine.Kind {
	return []engine.Kind{
		{
			Type: "STEPPED", Label: "Stepped import", Description: "Counts half its items, waits, then the rest.",
			Params: []engine.ParamSpec{
				{Name: "n", Kind: engine.ParamInt, Default: "10", Min: 1, Help: "items to process"},
				{Name: "mode", Kind: engine.ParamEnum, Enum: []string{"full", "delta"}},
				{Name: "dryRun", Kind: engine.ParamBool, Help: "count without writing"},
			},
			Run: func(ctx context.Context, r *engine.Run) error {
				var p struct{ N int64 }
				if err := r.Params(&p); err != nil {
					return err
				}
				r.SetTotal(p.N)
				r.Succeeded(p.N / 2)
				b.reached <- r.ID()
				if err := b.step(ctx, r); err != nil {
					return err
				}
				select {
				case <-b.proceed:
				case <-ctx.Done():
					return ctx.Err()
				}
				r.Succeeded(p.N - p.N/2)
				return nil
			},
		},
		{
			Type: "FAILING_ITEMS", Label: "Failing items", Description: "Every fifth item fails.", RetryItems: true,
			Params: []engine.ParamSpec{{Name: "n", Kind: engine.ParamInt, Default: "20", Min: 1}},
			Run: func(ctx context.Context, r *engine.Run) error {
				if r.RetryOf() != 0 {
					keys, err := r.RetryKeys(ctx)
					if err != nil {
						return err
					}
					r.SetTotal(int64(len(keys)))
					r.Succeeded(int64(len(keys)))
					r.SetMeta("retried", keys)
					return nil
				}
				var p struct{ N int64 }
				if err := r.Params(&p); err != nil {
					return err
				}
				r.SetTotal(p.N)
				for i := int64(1); i <= p.N; i++ {
					if i%5 != 0 {
						r.Succeeded(1)
						continue
					}
					if err := r.Fail(ctx, engine.Failure{Key: fmt.Sprintf("item-%d", i),
						Message: fmt.Sprintf("item %d refused: price missing", i), Class: engine.ClassValidation,
						Request: fmt.Sprintf("metafieldsSet owner=item-%d", i)}); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Type: "WAITER", Label: "Waiter", Description: "Runs until cancelled.",
			Run: func(ctx context.Context, r *engine.Run) error {
				r.SetTotal(3)
				r.Succeeded(1)
				b.reached <- r.ID()
				if err := b.step(ctx, r); err != nil {
					return err
				}
				<-ctx.Done()
				return ctx.Err()
			},
		},
	}
}

// step waits for the test to proceed, then checkpoints: a checkpoint writes
// progress at once, so what the console shows next does not depend on when
// the engine's periodic flush runs.
func (b *bundle) step(ctx context.Context, r *engine.Run) error {
	select {
	case <-b.proceed:
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.Checkpoint(ctx, map[string]int64{"done": r.Counters().Processed})
}

// setup builds the world and starts a console of w by h cells on it.
func setup(t testing.TB, w, h int, wd world) *bundle {
	t.Helper()
	b := &bundle{clock: clockwork.NewFakeClockAt(t0), reached: make(chan engine.JobID, 8), proceed: make(chan struct{})}
	b.store = enginetest.SQLite(t)
	kinds := testKinds(b)
	if wd.kinds != nil {
		kinds = wd.kinds
	}
	e, err := engine.New(engine.Config{Store: b.store.Store(), Kinds: kinds, Clock: b.clock, NoWorkers: !wd.workers,
		FlushInterval: time.Second, FollowInterval: time.Hour, AttemptTimeout: time.Hour,
		MaintenanceInterval: 24 * time.Hour, Settings: wd.settings})
	require.NoError(t, err)
	b.engine = e
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, e.Stop(ctx))
	})
	if wd.workers {
		require.NoError(t, e.StartWorkers(context.Background()))
		b.store.WaitMaintenanceEnqueued(t, waitTimeout)
	}
	if wd.seed != nil {
		wd.seed(t, b)
	}
	actor := operator
	if wd.actor != nil {
		actor = *wd.actor
	}
	opts := tui.Options{Engine: e, Actor: actor, ReadOnly: wd.readOnly, DatabaseName: "syncops.db",
		Sandbox: wd.sandbox, Clock: b.clock, Location: zone, Locations: wd.locations, OwnsEngine: wd.owns}
	if wd.budgets {
		opts.Budgets = budgets(b.clock)
	}
	if wd.schedules != nil {
		opts.Schedules = wd.schedules(b)
	}
	opts.Doctor, opts.DoctorAtStart, opts.Setup = wd.doctor, wd.doctorAtStart, wd.setup
	if wd.token != nil {
		opts.NhanhToken = wd.token(b)
	}
	model := tui.New(opts)
	t.Cleanup(model.Close)
	b.rec = &recorder{Model: model}
	b.tm = teatest.NewTestModel(t, b.rec, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = b.tm.Quit() })
	return b
}

// recorder wraps the console and keeps its last View content without ANSI,
// so tests wait on what the model shows rather than on the renderer's byte
// stream (which coalesces frames by timing).
type recorder struct {
	tea.Model
	mu      sync.Mutex
	frame   string
	version int
}

func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := r.Model.Update(msg)
	r.Model = m
	return r, cmd
}

func (r *recorder) View() tea.View {
	v := r.Model.View()
	text := ansi.Strip(v.Content)
	r.mu.Lock()
	if text != r.frame {
		r.frame, r.version = text, r.version+1
	}
	r.mu.Unlock()
	return v
}

func (r *recorder) current() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frame
}

// frameSep separates frames in what a frameReader yields.
const frameSep = "\f"

// frameReader yields each new frame of a recorder once, for teatest.WaitFor.
type frameReader struct {
	r       *recorder
	served  int
	pending []byte
}

func (fr *frameReader) Read(p []byte) (int, error) {
	if len(fr.pending) == 0 {
		fr.r.mu.Lock()
		if fr.r.version != fr.served {
			fr.served = fr.r.version
			fr.pending = []byte(frameSep + fr.r.frame)
		}
		fr.r.mu.Unlock()
		if len(fr.pending) == 0 {
			return 0, io.EOF
		}
	}
	n := copy(p, fr.pending)
	fr.pending = fr.pending[n:]
	return n, nil
}

// lastFrame is the newest frame in what a frameReader yielded.
func lastFrame(b []byte) string {
	if i := bytes.LastIndex(b, []byte(frameSep)); i >= 0 {
		return string(b[i+len(frameSep):])
	}
	return ""
}

// waitView waits until the console's view satisfies cond.
func (b *bundle) waitView(t testing.TB, cond func(view string) bool) {
	t.Helper()
	teatest.WaitFor(t, &frameReader{r: b.rec, served: -1}, func(out []byte) bool { return cond(lastFrame(out)) },
		teatest.WithDuration(waitTimeout), teatest.WithCheckInterval(5*time.Millisecond))
}

// waitFor waits until the view contains every text.
func (b *bundle) waitFor(t testing.TB, texts ...string) {
	t.Helper()
	b.waitView(t, func(v string) bool {
		for _, s := range texts {
			if !strings.Contains(v, s) {
				return false
			}
		}
		return true
	})
}

// press sends keys: names like "enter", "esc", "down", "shift+tab", or
// single characters.
func (b *bundle) press(keys ...string) {
	for _, k := range keys {
		b.tm.Send(keyPress(k))
	}
}

func keyPress(k string) tea.KeyPressMsg {
	special := map[string]tea.KeyPressMsg{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown},
		"left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight}, "space": {Code: tea.KeySpace, Text: " "},
		"backspace": {Code: tea.KeyBackspace}, "ctrl+c": {Code: 'c', Mod: tea.ModCtrl},
	}
	if m, ok := special[k]; ok {
		return m
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(c)[0], Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// golden compares the current view with testdata/<test>/<name>.golden.
func (b *bundle) golden(t *testing.T, name string) {
	t.Helper()
	view := b.rec.current()
	t.Run(name, func(t *testing.T) { golden.RequireEqual(t, view) })
}

// finish quits the console and compares the final model's view with
// testdata/<test>/final.golden.
func (b *bundle) finish(t *testing.T) {
	t.Helper()
	b.press("ctrl+c")
	final := b.tm.FinalModel(t, teatest.WithFinalTimeout(waitTimeout))
	view := ansi.Strip(final.View().Content)
	t.Run("final", func(t *testing.T) { golden.RequireEqual(t, view) })
}

// sizeName names a subtest after a terminal size.
func sizeName(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }
