package page_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/ui/tui/page"
)

// TestErrorMsgSaysItOnce: an engine error that starts with what the action
// already says is not prefixed with it twice; other errors keep all their
// words.
func TestErrorMsgSaysItOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string
		err    error
		want   string
	}{
		{"force restart job #4", fmt.Errorf("restart job 4: %w", engine.ErrNotFound), "force restart job #4: not found"},
		{"cancel job #7", errors.New("cancel job 7: job already finished"), "cancel job #7: job already finished"},
		{"cancel job #7", errors.New("cancel job 71: job already finished"), "cancel job #7: cancel job 71: job already finished"},
		{"start CUSTOMER_SYNC", errors.New("parameter ids: not a list of numbers"), "start CUSTOMER_SYNC: parameter ids: not a list of numbers"},
		{"", errors.New("database is locked"), "database is locked"},
		{"map depot 3", errors.New("no colon here"), "map depot 3: no colon here"},
		{"restart job #14", errors.New("b 14: cut mid-word"), "restart job #14: b 14: cut mid-word"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, page.ErrorMsg{Action: tt.action, Err: tt.err}.Error(), tt.action)
	}
}
