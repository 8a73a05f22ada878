package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/engine"
	"syncops/engine/scheduler"
	"syncops/store"
)

// Validate checks an operator's expression and says when it would run, in
// the operators' zone (Asia/Ho_Chi_Minh unless configured otherwise).
func ExampleScheduler_Validate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "syncops-example-")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		panic(err)
	}
	defer func() { _ = db.Close() }()
	if err := db.Migrate(ctx, nil); err != nil {
		panic(err)
	}
	eng, err := engine.New(engine.Config{Store: db, Kinds: testKinds(), NoWorkers: true})
	if err != nil {
		panic(err)
	}
	defer func() { _ = eng.Stop(ctx) }()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)) // 22:00 in Ho Chi Minh City
	sched, err := scheduler.New(scheduler.Config{Engine: eng, Store: db, Clock: clock})
	if err != nil {
		panic(err)
	}

	runs, err := sched.Validate("0 */6 * * *")
	if err != nil {
		panic(err)
	}
	for _, at := range runs {
		fmt.Println(at.Format("2006-01-02 15:04 -07:00"))
	}
	_, err = sched.Validate("0 25 * * *")
	var cronErr *scheduler.CronError
	if errors.As(err, &cronErr) {
		fmt.Println("refused:", cronErr.Reason)
	}
	// Output:
	// 2026-06-02 00:00 +07:00
	// 2026-06-02 06:00 +07:00
	// 2026-06-02 12:00 +07:00
	// refused: end of range (25) above maximum (23): 25
}
