package nhanhfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"syncops/clients/sandbox/fault"
)

// envelope is Nhanh's v3 reply. Messages is a string or a field map.
type envelope struct {
	Code      int    `json:"code"`
	ErrorCode string `json:"errorCode,omitempty"`
	Messages  any    `json:"messages,omitempty"`
	// Message is the singular spelling Nhanh's docs show for ERR_429.
	Message string `json:"message,omitempty"`
	Data    any    `json:"data,omitempty"`
}

func success(data any) envelope { return envelope{Code: 1, Data: data} }

func failure(code, message string) envelope {
	return envelope{Code: 0, ErrorCode: code, Messages: message}
}

// invalidFields is a validation failure with messages as a {field: msg} map.
func invalidFields(fields map[string]string) envelope {
	return envelope{Code: 0, ErrorCode: "ERR_INVALID_FORM_FIELDS", Messages: fields}
}

func writeJSON(w http.ResponseWriter, status int, env envelope) {
	body, err := json.Marshal(env)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

// writePage writes a successful list reply. The paginator is spliced in as
// raw bytes because encoding/json would compact the cursor, and the fake
// wants its cursors to carry whitespace a careless client would lose.
func writePage(w http.ResponseWriter, data any, next []byte) {
	body, err := json.Marshal(success(data))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if next != nil {
		body = append(body[:len(body)-1], `,"paginator":{"next":`...)
		body = append(body, next...)
		body = append(body, "}}"...)
	}
	writeBody(w, http.StatusOK, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// cursor builds the opaque next object for a page that ended at lastID. Its
// keys are deliberately not in sorted order and it holds spaces, so a client
// that decodes and re-encodes it sends different bytes and is refused.
func cursor(key string, lastID int64) []byte {
	return fmt.Appendf(nil, `{"%s": %d, "by": "%s"}`, key, lastID, key)
}

// parseCursor reads a next object the fake issued. It insists on the exact
// bytes: Nhanh documents next as opaque and to be sent back as received.
func parseCursor(raw json.RawMessage, key string) (int64, bool) {
	var c map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return 0, false
	}
	n, ok := c[key].(json.Number)
	if !ok {
		return 0, false
	}
	id, err := n.Int64()
	if err != nil {
		return 0, false
	}
	return id, bytes.Equal(raw, cursor(key, id))
}

// serveFault answers with an injected fault and reports whether it did.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, endpoint string, kind fault.Kind) bool {
	switch kind {
	case fault.Server:
		status := http.StatusBadGateway
		if s.serverErrors.Add(1)%2 == 0 {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>nginx</center></body></html>",
			status, http.StatusText(status), status, http.StatusText(status))
	case fault.Timeout:
		// Stall until the client gives up or the fake is closed. The body is
		// drained first: net/http only notices a client hanging up (and
		// cancels r.Context) once the request body has been read.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxRequestBody))
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
	case fault.Malformed:
		writeBody(w, http.StatusOK, []byte(`{"code":1,"data":[{"id":1,"name":"Nguy`))
	case fault.Throttle:
		// The documented ERR_429 body uses "message", and the status is
		// undocumented: this variant answers 429 with the singular field.
		env := s.lockChosen(r, endpoint)
		env.Message, env.Messages = rateLimitMessage, nil
		writeJSON(w, http.StatusTooManyRequests, env)
	case fault.Lock:
		writeJSON(w, http.StatusOK, s.lockChosen(r, endpoint))
	default:
		return false
	}
	return true
}
