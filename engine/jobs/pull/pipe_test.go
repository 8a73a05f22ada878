package pull

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// pipeSource is a source of n pages of 3 ints; failAt (1-based) makes that
// page's fetch fail, repeatAt makes it hand back the cursor it was sent.
type pipeSource struct {
	n, failAt, repeatAt int
	mu                  sync.Mutex
	fetched             int
}

var errPipeFetch = errors.New("fetch failed")

func (s *pipeSource) fetch(_ context.Context, cursor json.RawMessage) (pulledPage[int], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page := 1
	if cursor != nil {
		after, err := strconv.Atoi(string(cursor))
		if err != nil {
			return pulledPage[int]{}, err
		}
		page = after + 1
	}
	s.fetched++
	if page == s.failAt {
		return pulledPage[int]{}, errPipeFetch
	}
	p := pulledPage[int]{rows: []int{page*10 + 1, page*10 + 2, page*10 + 3}}
	switch {
	case page == s.repeatAt:
		p.next = cursor
	case page < s.n:
		p.next = json.RawMessage(strconv.Itoa(page))
	}
	return p, nil
}

// pipeWrites records what a pageWriter was given.
type pipeWrites struct {
	rows    []int
	batches []int // pages per write
	lasts   int
	next    json.RawMessage
}

func (w *pipeWrites) write(_ context.Context, rows []int, next json.RawMessage, last bool, pages int) error {
	w.rows = append(w.rows, rows...)
	w.batches = append(w.batches, pages)
	w.next = next
	if last {
		w.lasts++
	}
	return nil
}

func pipeRows(from, to int) []int {
	var out []int
	for p := from; p <= to; p++ {
		out = append(out, p*10+1, p*10+2, p*10+3)
	}
	return out
}

func pipeSum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestPipePagesStoresEveryPageInOrderOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		n      int
		cursor json.RawMessage
		from   int
	}{
		{name: "one page", n: 1, from: 1},
		{name: "many pages", n: 37, from: 1},
		{name: "resumed after page 20", n: 37, cursor: json.RawMessage("20"), from: 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &pipeSource{n: tc.n}
			var w pipeWrites
			require.NoError(t, pipePages(context.Background(), src.fetch, tc.cursor, 1, w.write))
			require.Equal(t, pipeRows(tc.from, tc.n), w.rows)
			require.Equal(t, tc.n-tc.from+1, pipeSum(w.batches))
			require.Equal(t, 1, w.lasts)
			require.Nil(t, w.next)
		})
	}
}

// TestWriteArrivedGroupsWaitingPages: pages already waiting when a write
// starts are stored together, at most pullMaxPagesPerTx at a time.
func TestWriteArrivedGroupsWaitingPages(t *testing.T) {
	t.Parallel()
	const n = 25
	pages := make(chan fetchedPage[int], n)
	for p := 1; p <= n; p++ {
		page := pulledPage[int]{rows: pipeRows(p, p), next: json.RawMessage(strconv.Itoa(p))}
		if p == n {
			page.next = nil
		}
		pages <- fetchedPage[int]{page: page}
	}
	var w pipeWrites
	require.NoError(t, writeArrived(context.Background(), pages, w.write))
	require.Equal(t, []int{pullMaxPagesPerTx, pullMaxPagesPerTx, 5}, w.batches)
	require.Equal(t, pipeRows(1, n), w.rows)
	require.Equal(t, 1, w.lasts)
}

func TestPipePagesStopsOnAFailureAfterStoringWhatCameBefore(t *testing.T) {
	t.Parallel()
	t.Run("fetch error", func(t *testing.T) {
		t.Parallel()
		src := &pipeSource{n: 30, failAt: 13}
		var w pipeWrites
		err := pipePages(context.Background(), src.fetch, nil, 1, w.write)
		require.ErrorIs(t, err, errPipeFetch)
		require.ErrorContains(t, err, "page 13")
		require.Equal(t, pipeRows(1, 12), w.rows)
		require.Equal(t, json.RawMessage("12"), w.next)
		require.Zero(t, w.lasts)
	})
	t.Run("repeated cursor", func(t *testing.T) {
		t.Parallel()
		src := &pipeSource{n: 30, repeatAt: 4}
		var w pipeWrites
		require.ErrorIs(t, pipePages(context.Background(), src.fetch, nil, 1, w.write), errRepeatedCursor)
		require.Equal(t, pipeRows(1, 3), w.rows)
	})
	t.Run("write error", func(t *testing.T) {
		t.Parallel()
		src := &pipeSource{n: 30}
		errWrite := errors.New("disk full")
		writes := 0
		err := pipePages(context.Background(), src.fetch, nil, 1, func(context.Context, []int, json.RawMessage, bool, int) error {
			writes++
			return errWrite
		})
		require.ErrorIs(t, err, errWrite)
		require.Equal(t, 1, writes)
		src.mu.Lock()
		defer src.mu.Unlock()
		// A batch being stored, a batch waiting, a page in hand.
		require.LessOrEqual(t, src.fetched, 2*pullMaxPagesPerTx+1, "the fetching runs at most two batches ahead")
	})
}

// TestPipePagesNeverReportsSuccessWhenStopped: a cancelled pull returns the
// context's error, whatever was stored, never nil (which would complete
// the job with its stream unfinished).
func TestPipePagesNeverReportsSuccessWhenStopped(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	src := &pipeSource{n: 1000}
	err := pipePages(ctx, src.fetch, nil, 1, func(context.Context, []int, json.RawMessage, bool, int) error {
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)

	closed := make(chan fetchedPage[int])
	close(closed)
	require.ErrorIs(t, writeArrived(context.Background(), closed, (&pipeWrites{}).write), errPagesEnded)
}
