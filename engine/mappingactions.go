package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"syncops/clients/extid"
	"syncops/store"
)

// The mapping actions of the workbench: each takes an Actor, refuses a
// viewer, and is audited in the transaction that makes the change.

// MapByHand maps a Nhanh record to a Shopify record as a manual mapping
// (PENDING; automatic matching never replaces or removes it) and returns
// the mapping id. A side already mapped is refused with an error wrapping
// ErrConflict that names the mapping in the way.
func (e *Engine) MapByHand(ctx context.Context, k MappingKind, nhanhID int64, shopifyID string, actor Actor) (_ int64, err error) {
	defer func() { err = FromStore(err) }()
	if err := actor.Authorize(fmt.Sprintf("map %s %d", k, nhanhID)); err != nil {
		return 0, err
	}
	kind, err := k.store()
	if err != nil {
		return 0, err
	}
	shopifyID = strings.TrimSpace(shopifyID)
	if err := e.checkSides(ctx, kind, nhanhID, shopifyID); err != nil {
		return 0, fmt.Errorf("map %s %d by hand: %w", k, nhanhID, err)
	}
	now := e.clock.Now()
	var id int64
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if id, err = e.store.MapByHand(ctx, tx, kind, nhanhID, shopifyID, now); err != nil {
			return err
		}
		return e.audit(ctx, tx, actor, "mapping.map", 0,
			fmt.Sprintf("%s mapping %d: Nhanh %d -> %s", k, id, nhanhID, shopifyID), now)
	})
	if err != nil {
		return 0, fmt.Errorf("map %s %d by hand: %w", k, nhanhID, err)
	}
	e.logger.InfoContext(ctx, "mapped by hand", slog.String("kind", string(k)), slog.Int64("mapping_id", id),
		slog.String("actor", actor.String()))
	return id, nil
}

// ErrNotInMirror: a record named by an operator is not in the local mirror
// of its side (pull it first), or is deleted at its source.
var ErrNotInMirror = errors.New("not in the local mirror")

// checkSides requires the Nhanh record (unless nhanhID is 0) and the live
// Shopify record in their mirrors, so a mistyped id is refused instead of
// becoming a mapping every sync fails.
func (e *Engine) checkSides(ctx context.Context, kind store.MappingKind, nhanhID int64, shopifyID string) error {
	rd := e.store.Reader()
	if nhanhID != 0 {
		if _, err := e.store.UnmatchedRow(ctx, rd, kind, nhanhID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("the Nhanh %s %d: %w (pull it first)", kind, nhanhID, ErrNotInMirror)
			}
			return err
		}
	}
	var deleted time.Time
	var err error
	switch kind {
	case store.MappingKindCustomer:
		var c store.ShopifyCustomer
		c, err = e.store.ShopifyCustomer(ctx, rd, extid.ShopifyCustomerGID(shopifyID))
		deleted = c.DeletedAt
	default:
		var v store.ShopifyVariant
		v, err = e.store.ShopifyVariant(ctx, rd, extid.ShopifyVariantGID(shopifyID))
		deleted = v.DeletedAt
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("the Shopify %s %s: %w (pull it first)", kind, shopifyID, ErrNotInMirror)
	case err != nil:
		return err
	case !deleted.IsZero():
		return fmt.Errorf("the Shopify %s %s is deleted at Shopify: %w", kind, shopifyID, ErrNotInMirror)
	}
	return nil
}

// Remap points a mapping at another Shopify record; it becomes manual and
// PENDING, its sync state of the old target cleared.
func (e *Engine) Remap(ctx context.Context, k MappingKind, id int64, shopifyID string, actor Actor) (err error) {
	defer func() { err = FromStore(err) }()
	if err := actor.Authorize(fmt.Sprintf("remap %s mapping %d", k, id)); err != nil {
		return err
	}
	kind, err := k.store()
	if err != nil {
		return err
	}
	shopifyID = strings.TrimSpace(shopifyID)
	if err := e.checkSides(ctx, kind, 0, shopifyID); err != nil {
		return fmt.Errorf("remap %s mapping %d: %w", k, id, err)
	}
	now := e.clock.Now()
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		old, err := e.store.MappingRow(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if err := e.store.Remap(ctx, tx, kind, id, shopifyID, now); err != nil {
			return err
		}
		return e.audit(ctx, tx, actor, "mapping.remap", 0,
			fmt.Sprintf("%s mapping %d: Nhanh %s, %s -> %s", k, id, old.Nhanh.ID, old.Shopify.ID, shopifyID), now)
	})
	if err != nil {
		return fmt.Errorf("remap %s mapping %d: %w", k, id, err)
	}
	return nil
}

// Unmap deletes a mapping and its sync log. Faces confirm first.
func (e *Engine) Unmap(ctx context.Context, k MappingKind, id int64, actor Actor) (err error) {
	defer func() { err = FromStore(err) }()
	if err := actor.Authorize(fmt.Sprintf("unmap %s mapping %d", k, id)); err != nil {
		return err
	}
	kind, err := k.store()
	if err != nil {
		return err
	}
	now := e.clock.Now()
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		old, err := e.store.MappingRow(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if err := e.store.DeleteMapping(ctx, tx, kind, id); err != nil {
			return err
		}
		return e.audit(ctx, tx, actor, "mapping.unmap", 0,
			fmt.Sprintf("%s mapping %d: Nhanh %s -> %s", k, id, old.Nhanh.ID, old.Shopify.ID), now)
	})
	if err != nil {
		return fmt.Errorf("unmap %s mapping %d: %w", k, id, err)
	}
	return nil
}

// CleanOrphans deletes every mapping of kind whose either side is deleted
// at the source (they fail every sync) and returns their ids.
func (e *Engine) CleanOrphans(ctx context.Context, k MappingKind, actor Actor) (_ []int64, err error) {
	defer func() { err = FromStore(err) }()
	if err := actor.Authorize(fmt.Sprintf("clean up orphaned %s mappings", k)); err != nil {
		return nil, err
	}
	kind, err := k.store()
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	var ids []int64
	err = e.store.InTx(ctx, func(tx *sql.Tx) error {
		if ids, err = e.store.OrphanedMappingIDs(ctx, tx, kind); err != nil {
			return err
		}
		for _, id := range ids {
			if err := e.store.DeleteMapping(ctx, tx, kind, id); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return e.audit(ctx, tx, actor, "mapping.clean-orphans", 0,
			fmt.Sprintf("%d %s mappings: %s", len(ids), k, joinIDs(ids, 50)), now)
	})
	if err != nil {
		return nil, fmt.Errorf("clean up orphaned %s mappings: %w", k, err)
	}
	return ids, nil
}

// joinIDs lists up to n ids, and how many more.
func joinIDs(ids []int64, n int) string {
	parts := make([]string, 0, min(len(ids), n))
	for _, id := range ids[:min(len(ids), n)] {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	s := strings.Join(parts, ",")
	if len(ids) > n {
		s += fmt.Sprintf(" and %d more", len(ids)-n)
	}
	return s
}

// SyncNow starts the kind's targeted sync of one mapping (CUSTOMER_SYNC or
// PRODUCT_SYNC with ids=id), a tracked job that writes its live value at
// once, and returns the job's id.
func (e *Engine) SyncNow(ctx context.Context, k MappingKind, id int64, actor Actor) (_ JobID, err error) {
	defer func() { err = FromStore(err) }()
	if err := actor.Authorize(fmt.Sprintf("sync %s mapping %d now", k, id)); err != nil {
		return 0, err
	}
	kind, err := k.store()
	if err != nil {
		return 0, err
	}
	r, err := e.store.MappingRow(ctx, e.store.Reader(), kind, id)
	if err != nil {
		return 0, fmt.Errorf("sync %s mapping %d now: %w", k, id, err)
	}
	if r.Shopify.ID == "" {
		return 0, fmt.Errorf("sync %s mapping %d now: it has no Shopify side; map it first", k, id)
	}
	for _, t := range e.order {
		if kd := e.kinds[t]; kd.SyncNow && kd.Items.Kind == k {
			return e.Start(ctx, t, Params{"ids": strconv.FormatInt(id, 10)}, StartOptions{Actor: actor})
		}
	}
	return 0, fmt.Errorf("sync %s mapping %d now: no job type syncs single %s mappings", k, id, k)
}
