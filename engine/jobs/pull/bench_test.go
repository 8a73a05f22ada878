package pull

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/extid"
	"syncops/engine"
	"syncops/store"
	"syncops/store/storetest"
)

// benchPageRows is a Nhanh page.
const benchPageRows = 100

// benchWriteKind is the job type the benchmark's body runs under.
const benchWriteKind = "BENCH_PULL_WRITE"

// BenchmarkPullWritePath measures the pull's write path without a network:
// pages of 100 Nhanh customers are stored with their stream cursor and job
// checkpoint, inside a real engine job. "grouped" hands pages to the
// pipeline's writer (writeArrived) as fast as they can be made, so pages
// queue up and are stored several per transaction, as when the database
// lags the network; "page-per-tx" stores every page in its own transaction
// (storeRows directly), as at API speed. "new" stores rows never seen;
// "unchanged" pulls them again (what later full pulls mostly do). Nhanh
// allows 150 requests per 30 s, 500 rows/s: the database must be far from
// the bottleneck.
func BenchmarkPullWritePath(b *testing.B) {
	for _, dialect := range storetest.Backends(b) {
		for _, grouped := range []bool{true, false} {
			for _, again := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/%s", dialect, map[bool]string{true: "grouped", false: "page-per-tx"}[grouped],
					map[bool]string{false: "new", true: "unchanged"}[again])
				b.Run(name, func(b *testing.B) { benchPullWrites(b, dialect, grouped, again) })
			}
		}
	}
}

// benchWriter is the benchmark's job: it claims a stream, then stores
// each pass of pages it is given and reports how the pass ended.
type benchWriter struct {
	passes chan chan fetchedPage[store.NhanhCustomer] // grouped: pages through writeArrived
	pages  chan pulledPage[store.NhanhCustomer]       // page-per-tx: each page through storeRows
	done   chan error
}

func (w *benchWriter) run(s *store.Store) func(ctx context.Context, r *engine.Run) error {
	return func(ctx context.Context, r *engine.Run) error {
		d := Deps{Store: s, Clock: clockwork.NewRealClock()}
		// A filtered stream: the last page of each pass marks nothing deleted,
		// so a pass measures the page writes alone.
		sp := &streamPull[store.NhanhCustomer]{d: d, r: r, stream: PullNhanhCustomers, deletedAtSource: -1,
			spec: streamPullSpec[store.NhanhCustomer]{jobType: PullNhanhCustomers,
				upsert: s.UpsertNhanhCustomers, markDeleted: s.MarkNhanhCustomersDeleted}}
		st, err := sp.claim(ctx, pullModePages)
		if err != nil {
			return err
		}
		write := func(ctx context.Context, rows []store.NhanhCustomer, next json.RawMessage, last bool, pages int) error {
			return sp.storeRows(ctx, st, rows, next, last, pages, nil)
		}
		for {
			select {
			case in := <-w.passes:
				w.done <- writeArrived(ctx, in, write)
			case p := <-w.pages:
				w.done <- write(ctx, p.rows, p.next, false, 1)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

func benchPullWrites(b *testing.B, dialect store.Dialect, grouped, again bool) {
	ctx := context.Background()
	s := storetest.Open(b, dialect)
	w := &benchWriter{passes: make(chan chan fetchedPage[store.NhanhCustomer]), pages: make(chan pulledPage[store.NhanhCustomer]),
		done: make(chan error)}
	e, err := engine.New(engine.Config{Store: s, Clock: clockwork.NewRealClock(), Kinds: []engine.Kind{
		{Type: benchWriteKind, Label: "bench", AttemptTimeout: time.Hour, Run: w.run(s)}}})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.StartWorkers(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = e.Stop(stopCtx)
	})
	if _, err := e.Start(ctx, benchWriteKind, nil, engine.StartOptions{}); err != nil {
		b.Fatal(err)
	}
	pass := func() {
		if grouped {
			in := make(chan fetchedPage[store.NhanhCustomer], pullMaxPagesPerTx)
			w.passes <- in
			for i := range b.N {
				page := benchCustomerPage(i)
				if i == b.N-1 {
					page.next = nil // the source's last page ends the pass
				}
				in <- fetchedPage[store.NhanhCustomer]{page: page}
			}
			if err := <-w.done; err != nil {
				b.Fatal(err)
			}
			return
		}
		for i := range b.N {
			w.pages <- benchCustomerPage(i)
			if err := <-w.done; err != nil {
				b.Fatal(err)
			}
		}
	}
	if again {
		pass()
	}
	b.ResetTimer()
	pass()
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchPageRows)/b.Elapsed().Seconds(), "rows/s")
}

// benchCustomerPage is page i with its Nhanh-shaped next cursor.
func benchCustomerPage(i int) pulledPage[store.NhanhCustomer] {
	return pulledPage[store.NhanhCustomer]{rows: benchCustomers(i),
		next: json.RawMessage(fmt.Sprintf(`{"id": %d, "by": "id"}`, benchID(i, benchPageRows-1)))}
}

func benchID(page, row int) extid.NhanhCustomerID {
	return extid.NhanhCustomerID(142_400_000 + page*benchPageRows + row)
}

// benchCustomers is page i: customers shaped like the sandbox's.
func benchCustomers(i int) []store.NhanhCustomer {
	rows := make([]store.NhanhCustomer, benchPageRows)
	for k := range rows {
		id := benchID(i, k)
		rows[k] = store.NhanhCustomer{ID: id, Type: 1 + k%3, Name: "Nguyễn Thị Thu Hương", Mobile: fmt.Sprintf("09%08d", int64(id)%100_000_000),
			Email: fmt.Sprintf("huong.%d@example.vn", id), Address: "146 Nguyễn Trãi, Phường Bến Thành", City: "Hồ Chí Minh",
			TotalAmount: float64(int64(id)%9_000_000) * 1000, LastBoughtDate: "2026-05-24", RemoteUpdatedAt: 1_781_285_820 + int64(k)}
	}
	return rows
}
