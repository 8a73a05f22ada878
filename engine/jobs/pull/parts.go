package pull

// A source that must be asked for "everything" part by part (Nhanh
// customers type by type, products status by status, since the API does not
// promise that leaving the filter out means all) is still one stream: one
// pass walks the parts in order, and its cursor says which part it is in and
// where in that part:
//
//	{"part":1} ──pages──> {"part":1,"next":"{...}"} ──last page of part 1──> {"part":2}
//	    ... ──last page of the last part──> end of the pass
//
// So a pass stopped in any part resumes there, a pass is complete only when
// the last part's last page is stored, and only then can it mark what it did
// not see as deleted (stream.go): every part was read in that same pass.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// partCursor is the cursor of a pass over parts.
type partCursor struct {
	// Part is the filter value being pulled (a customer type, a status).
	Part int `json:"part"`
	// Next is the source's cursor within the part, kept as a string so the
	// source gets it back byte for byte (see streamPullState.Cursor); ""
	// is the part's first page.
	Next string `json:"next,omitempty"`
}

// partPages chains one page fetcher per part into one: it pages through
// parts[0] to its end, then parts[1], and so on; the last page of the last
// part is the last page.
//
// A stored cursor it cannot read (a pull paused by a version that did not
// walk parts, whose cursor is the source's own) or that names a part no
// longer asked for starts the pass over from the first part: the pass keeps
// its start time, so marking deletions stays right, and pages stored again
// come back unchanged.
func partPages[R any](parts []int, fetch func(part int) pageFetcher[R]) pageFetcher[R] {
	return func(ctx context.Context, cursor json.RawMessage) (pulledPage[R], error) {
		at := readPartCursor(parts, cursor)
		i := slices.Index(parts, at.Part)
		var inner json.RawMessage
		if at.Next != "" {
			inner = json.RawMessage(at.Next)
		}
		page, err := fetch(at.Part)(ctx, inner)
		if err != nil {
			return page, err
		}
		switch {
		case page.next != nil:
			page.next, err = encodePartCursor(partCursor{Part: at.Part, Next: string(page.next)})
		case i+1 < len(parts):
			page.next, err = encodePartCursor(partCursor{Part: parts[i+1]})
		}
		return page, err
	}
}

// readPartCursor reads a stored cursor: nil, unreadable, or naming a part
// not in parts is the first part's first page.
func readPartCursor(parts []int, cursor json.RawMessage) partCursor {
	first := partCursor{Part: parts[0]}
	if cursor == nil {
		return first
	}
	var c partCursor
	if err := json.Unmarshal(cursor, &c); err != nil || !slices.Contains(parts, c.Part) {
		return first
	}
	return c
}

func encodePartCursor(c partCursor) (json.RawMessage, error) {
	b, err := json.Marshal(c)
	if err != nil { // an int and a string always marshal
		return nil, fmt.Errorf("encode pull cursor: %w", err)
	}
	return b, nil
}
