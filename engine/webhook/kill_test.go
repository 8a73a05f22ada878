package webhook_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/internal/testbin"
	"syncops/store"
	"syncops/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestKillAfterAnswer runs the real binary as a headless service with the
// webhook route, sends one delivery, SIGKILLs the process as soon as the 200
// arrives (with a debounce window of an hour, so nothing was processed),
// restarts it, and requires the delivery processed: what was answered was
// on disk with its way to be processed.
func TestKillAfterAnswer(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			dsn := storetest.DSN(t, d)
			tokens := filepath.Join(dir, "tokens")
			require.NoError(t, os.WriteFile(tokens, []byte("ops operator Op0123456789abcdefgh\n"), 0o600))
			addr := freeAddr(t)
			env := []string{"SYNCOPS_DB=" + dsn, "SYNCOPS_DATA_DIR=" + dir, "SYNCOPS_LOG_LEVEL=warn",
				"SYNCOPS_HTTP_ADDR=" + addr, "SYNCOPS_HTTP_TOKENS=" + tokens, "SYNCOPS_NHANH_WEBHOOK_TOKEN=" + verifyToken}

			svc := startService(t, append(env, "SYNCOPS_NHANH_WEBHOOK_WINDOW=1h"))
			body := `{"event":"productAdd","businessId":1,"data":{"id":770001,"code":"KILL-1","name":"Sống sót","inventory":{"available":2}}}`
			var resp *http.Response
			require.Eventually(t, func() bool {
				req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/nhanh", strings.NewReader(body))
				require.NoError(t, err)
				req.Header.Set("Authorization", verifyToken)
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					return false // not listening yet
				}
				resp = r
				return true
			}, 30*time.Second, 20*time.Millisecond)
			require.NoError(t, svc.Process.Kill()) // SIGKILL, right after the answer
			_ = resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			_ = svc.Wait()

			s, err := store.Open(ctx, dsn, dir)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			list, err := s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{})
			require.NoError(t, err)
			require.Len(t, list, 1, "stored before the answer")
			require.True(t, list[0].Pending(), "killed before processing")
			_, err = s.NhanhProduct(ctx, s.Reader(), 770001)
			require.ErrorIs(t, err, store.ErrNotFound)

			startService(t, append(env, "SYNCOPS_NHANH_WEBHOOK_WINDOW=50ms"))
			require.Eventually(t, func() bool {
				list, err := s.WebhookDeliveries(ctx, s.Reader(), store.WebhookFilter{})
				return err == nil && len(list) == 1 && !list[0].Pending()
			}, time.Minute, 20*time.Millisecond, "processed after the restart")
			p, err := s.NhanhProduct(ctx, s.Reader(), 770001)
			require.NoError(t, err)
			require.Equal(t, "Sống sót", p.Name)
		})
	}
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startService starts the headless service, killed when the test ends.
func startService(t *testing.T, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(testbin.Path(t), "--no-tui")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}
