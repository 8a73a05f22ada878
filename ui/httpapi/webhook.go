package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"syncops/engine"
	"syncops/engine/webhook"
)

// WebhookPath is where Nhanh delivers its webhooks (v3): register
// https://<host>/webhooks/nhanh as the app's webhooks callback URL.
const WebhookPath = "/webhooks/nhanh"

// MaxWebhookBytes bounds one delivery's body (an inventoryChange of many
// products with their depots is tens of kilobytes).
const MaxWebhookBytes = 4 << 20

// nhanhWebhook receives one Nhanh delivery. Nhanh authenticates with the
// app's verify token, raw, in the Authorization header, and counts
// anything but 200 as a failure it retries and holds against the
// receiver; so a delivery is answered 200 only once the engine has stored
// it (with the job that processes it), and processing happens later.
func (s *Server) nhanhWebhook(w http.ResponseWriter, r *http.Request) {
	addr := remoteAddr(r)
	if wait := s.limiter.wait(addr); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
		writeProblem(w, problem{Type: "urn:syncops:problem:slow-down", Title: "Too many failed authentications",
			Status: http.StatusTooManyRequests})
		return
	}
	if !s.webhookToken.matches(r.Header.Get("Authorization")) {
		s.limiter.fail(addr)
		s.logger.Info("webhook refused: wrong verify token", "remote", addr)
		writeProblem(w, problem{Type: "about:blank", Title: "Unauthorized", Status: http.StatusUnauthorized})
		return
	}
	s.limiter.succeed(addr)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, &requestError{status: http.StatusRequestEntityTooLarge, msg: "webhook body too large"})
		return
	case err != nil:
		s.fail(w, r, badRequest("read webhook body: %v", err))
		return
	}
	event, err := webhook.EventOf(body)
	if err != nil {
		s.fail(w, r, badRequest("%v", err))
		return
	}
	rec, err := s.engine.ReceiveWebhook(r.Context(), engine.WebhookIn{Source: webhook.Source, Event: event, Body: body}, webhook.Actor)
	if err != nil {
		// Not stored: Nhanh must deliver it again.
		s.logger.Error("webhook not stored", "event", event, "error", err)
		writeProblem(w, problem{Type: "urn:syncops:problem:unavailable", Title: "Not stored, deliver again",
			Status: http.StatusServiceUnavailable})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": rec.ID, "duplicate": rec.Duplicate,
		"probe": webhook.IsProbe(event)})
}

// verifyToken is the webhooks verify token, kept only as a hash; a request's
// header is hashed and compared in constant time, so neither the
// comparison's time nor the token's length leaks.
type verifyToken struct {
	set  bool
	hash [sha256.Size]byte
}

func newVerifyToken(token string) verifyToken {
	if token == "" {
		return verifyToken{}
	}
	return verifyToken{set: true, hash: sha256.Sum256([]byte(token))}
}

func (v verifyToken) matches(header string) bool {
	got := sha256.Sum256([]byte(header))
	return v.set && header != "" && subtle.ConstantTimeCompare(got[:], v.hash[:]) == 1
}
