package format

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{1499 * time.Millisecond, "1s"},
		{59 * time.Second, "59s"},
		{185 * time.Second, "3m05s"},
		{2*time.Hour + 4*time.Minute + 59*time.Second, "2h04m"}, // larger units are cut, not rounded
		{50 * time.Hour, "2d02h"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Duration(tt.in), "Duration(%s)", tt.in)
	}
}

func TestRelativeTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "just now", Ago(now, now))
	require.Equal(t, "12s ago", Ago(now, now.Add(-12*time.Second)))
	require.Equal(t, "3m ago", Ago(now, now.Add(-200*time.Second)))
	require.Equal(t, "5h ago", Ago(now, now.Add(-5*time.Hour)))
	require.Equal(t, "2d ago", Ago(now, now.Add(-49*time.Hour)))
	require.Equal(t, "now", In(now, now))
	require.Equal(t, "in 1h00m", In(now, now.Add(time.Hour)))
}

func TestCountAndFraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {100000, "100,000"}, {1234567, "1,234,567"}, {-4200, "-4,200"}}
	for _, tt := range tests {
		require.Equal(t, tt.want, Count(tt.n))
	}
	require.Equal(t, "40/1,000", Fraction(40, 1000))
	require.Equal(t, "7", Fraction(7, 0))
	require.InDelta(t, 0.04, Percent(40, 1000), 1e-9)
	require.Zero(t, Percent(5, 0))
	require.Equal(t, 1.0, Percent(12, 10), "more processed than the total is still full")
	require.Equal(t, "12.5/s", Rate(12.5))
	require.Equal(t, "1234/s", Rate(1234.4))
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want []Field
	}{
		{"empty", `{}`, nil},
		{"null", `null`, nil},
		{"scalars sorted", `{"b":true,"a":1.5,"c":"x","d":null}`,
			[]Field{{"a", "1.5"}, {"b", "true"}, {"c", "x"}, {"d", "null"}}},
		{"big numbers stay exact", `{"id":9007199254740993}`, []Field{{"id", "9007199254740993"}}},
		{"nested", `{"pull":{"cursor":"c-1","pages":{"done":3}}}`,
			[]Field{{"pull.cursor", "c-1"}, {"pull.pages.done", "3"}}},
		{"list of scalars", `{"keys":["a","b","c","d","e","f","g"]}`, []Field{{"keys", "a, b, c, d, e (+2 more)"}}},
		{"list of objects", `{"b":[{"ok":false},{"n":2}]}`, []Field{{"b[0].ok", "false"}, {"b[1].n", "2"}}},
		{"empty nested", `{"x":{},"y":[]}`, []Field{{"x", "(empty)"}, {"y", "(none)"}}},
		{"not an object", `[1,2]`, []Field{{"value", "[1 2]"}}},
		{"not json", `{oops`, []Field{{"value", "{oops"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, Flatten([]byte(tt.raw)))
		})
	}
}
