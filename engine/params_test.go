package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/engine/jobs"
	"syncops/store"
	"syncops/store/storetest"
)

// bigIDs are mapping ids a float64 cannot carry as operator text: 1,000,000
// printed "1e+06" once, and 2^53+1 is not a float64 at all.
const bigIDs = "12,1000000,9007199254740993"

// bigIDsJSON is bigIDs as canonical JSON.
const bigIDsJSON = `{"ids":[12,1000000,9007199254740993]}`

// syncKinds are the production CUSTOMER_SYNC and PRODUCT_SYNC, with their
// real parameters, whose body fails every id it is given and, as a retry,
// succeeds on the failed ones: all these tests need of a sync.
func syncKinds() []engine.Kind {
	var out []engine.Kind
	for _, k := range jobs.Unavailable(errors.New("not used")) {
		if k.Type != jobs.CustomerSync && k.Type != jobs.ProductSync {
			continue
		}
		k.Run = func(ctx context.Context, r *engine.Run) error {
			var p struct{ IDs []int64 }
			if err := r.Params(&p); err != nil {
				return err
			}
			if r.RetryOf() != 0 {
				keys, err := r.RetryKeys(ctx)
				if err != nil {
					return err
				}
				r.SetTotal(int64(len(keys)))
				r.Succeeded(int64(len(keys)))
				return nil
			}
			r.SetTotal(int64(len(p.IDs)))
			for _, id := range p.IDs {
				if err := r.Fail(ctx, engine.Failure{Key: "mapping-" + strconv.FormatInt(id, 10),
					Message: "Shopify refused the write", Class: apierr.ClassValidation}); err != nil {
					return err
				}
			}
			return nil
		}
		out = append(out, k)
	}
	return out
}

func newSyncEngine(t *testing.T) *engine.Engine {
	t.Helper()
	s, err := store.Open(context.Background(), storetest.DSN(t, store.SQLite), "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(context.Background(), nil))
	e, err := engine.New(engine.Config{Store: s, Kinds: syncKinds(), FlushInterval: 20 * time.Millisecond,
		FollowInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e.StartWorkers(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, e.Stop(ctx))
	})
	return e
}

// TestLargeIDsSurviveRetryAndRestart: a sync over mapping ids of a million
// and more can be retried and force-restarted, and both keep the ids exactly.
func TestLargeIDsSurviveRetryAndRestart(t *testing.T) {
	t.Parallel()
	e := newSyncEngine(t)
	for _, jobType := range []string{jobs.CustomerSync, jobs.ProductSync} {
		t.Run(jobType, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ops := engine.Actor{Name: "ops", Kind: engine.ActorCLI}
			id, err := e.Start(ctx, jobType, engine.Params{"ids": bigIDs}, engine.StartOptions{Actor: ops})
			require.NoError(t, err)
			j := waitFor(t, e, id, status(engine.StatusCompleted))
			require.JSONEq(t, bigIDsJSON, string(j.Params))
			require.Equal(t, int64(3), j.Failed)

			retry, err := e.Retry(ctx, id, ops)
			require.NoError(t, err, "retry re-reads the stored ids")
			rj := waitFor(t, e, retry, status(engine.StatusCompleted))
			require.JSONEq(t, bigIDsJSON, string(rj.Params))
			require.Equal(t, engine.Counters{Total: 3, Processed: 3, Successful: 3}, rj.Counters())

			restarted, err := e.Restart(ctx, id, ops)
			require.NoError(t, err, "force restart re-reads the stored ids")
			nj, err := e.Get(ctx, restarted)
			require.NoError(t, err)
			require.JSONEq(t, bigIDsJSON, string(nj.Params))
			waitFor(t, e, restarted, status(engine.StatusCompleted))
		})
	}
}

// TestParamsRoundTrip: what EncodeParams writes, DecodeParams reads back
// into text that encodes to the same JSON, for every parameter kind; text
// values (schedules stored before they were typed) read as they stand.
func TestParamsRoundTrip(t *testing.T) {
	t.Parallel()
	e := newParamsEngine(t)
	tests := []struct {
		name   string
		params engine.Params
		want   string // canonical JSON
	}{
		{"large ids", engine.Params{"ids": "9007199254740993, 1000000,12,12"}, `{"ids":[12,1000000,9007199254740993],"mode":"full"}`},
		{"int and bool", engine.Params{"n": "4611686018427387904", "dry": "TRUE"}, `{"n":4611686018427387904,"dry":true,"mode":"full"}`},
		{"enum, date, string", engine.Params{"mode": "Quick", "from": "2026-01-31", "q": " state:ENABLED "},
			`{"mode":"quick","from":"2026-01-31","q":"state:ENABLED"}`},
		{"defaults only", nil, `{"mode":"full"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := e.EncodeParams("every_kind", tt.params)
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(raw))
			text, err := e.DecodeParams("EVERY_KIND", raw)
			require.NoError(t, err)
			again, err := e.EncodeParams("EVERY_KIND", text)
			require.NoError(t, err)
			require.Equal(t, string(raw), string(again))
		})
	}

	decoded := []struct {
		name, raw string
		want      engine.Params
		wantErr   string
	}{
		{"typed", `{"ids":[1000000,12],"n":7,"dry":false}`, engine.Params{"ids": "1000000,12", "n": "7", "dry": "false"}, ""},
		{"text values", `{"ids":"12,1000000","n":"7"}`, engine.Params{"ids": "12,1000000", "n": "7"}, ""},
		{"null is absent", `{"n":null}`, engine.Params{}, ""},
		{"empty", ``, engine.Params{}, ""},
		{"float id", `{"ids":[1e+06]}`, nil, `parameter "ids" is stored as [1e+06], not a list of whole numbers`},
		{"unknown", `{"idz":[1]}`, nil, `parameter "idz" is unknown`},
		{"not an object", `[1]`, nil, "not a JSON object"},
	}
	for _, tt := range decoded {
		t.Run("decode "+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := e.DecodeParams("EVERY_KIND", json.RawMessage(tt.raw))
			if tt.wantErr != "" {
				var perr *engine.ParamError
				require.ErrorAs(t, err, &perr)
				require.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	require.Equal(t, "dry=true ids=12,1000000", engine.FormatParams(engine.Params{"ids": "12,1000000", "dry": "true"}))
	require.Equal(t, "(defaults)", engine.FormatParams(nil))
}

func newParamsEngine(t *testing.T) *engine.Engine {
	t.Helper()
	s, err := store.Open(context.Background(), storetest.DSN(t, store.SQLite), "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	noop := func(context.Context, *engine.Run) error { return nil }
	e, err := engine.New(engine.Config{Store: s, NoWorkers: true, Kinds: []engine.Kind{{Type: "EVERY_KIND", Run: noop,
		Params: []engine.ParamSpec{
			{Name: "ids", Kind: engine.ParamIDs}, {Name: "n", Kind: engine.ParamInt, Min: 1},
			{Name: "dry", Kind: engine.ParamBool}, {Name: "from", Kind: engine.ParamDate},
			{Name: "q", Kind: engine.ParamString},
			{Name: "mode", Kind: engine.ParamEnum, Enum: []string{"full", "quick"}, Default: "full"},
		}}}})
	require.NoError(t, err)
	return e
}
