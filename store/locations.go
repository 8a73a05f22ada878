package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"syncops/clients/extid"
)

// LocationMapping says which Shopify location a Nhanh depot's stock goes to.
// Several depots may point at one location; their stock is summed.
type LocationMapping struct {
	DepotID      extid.NhanhDepotID
	DepotName    string
	LocationID   extid.ShopifyLocationGID
	LocationName string
	CreatedAt    time.Time // when the depot was first mapped
}

// LocationMappings returns every location mapping, by depot id.
func (s *Store) LocationMappings(ctx context.Context, q Querier) ([]LocationMapping, error) {
	rows, err := q.QueryContext(ctx, `SELECT nhanh_depot_id, nhanh_depot_name, shopify_location_gid,
		shopify_location_name, created_at FROM location_mappings ORDER BY nhanh_depot_id`)
	if err != nil {
		return nil, fmt.Errorf("list location mappings: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []LocationMapping
	for rows.Next() {
		var m LocationMapping
		var created int64
		if err := rows.Scan(&m.DepotID, &m.DepotName, &m.LocationID, &m.LocationName, &created); err != nil {
			return nil, fmt.Errorf("scan location mapping: %w", err)
		}
		m.CreatedAt = FromMillis(created)
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list location mappings: %w", err)
	}
	return out, nil
}

// SetLocationMapping maps a depot to a location, replacing the depot's
// previous mapping if any (its CreatedAt is kept). m.CreatedAt is ignored.
func (s *Store) SetLocationMapping(ctx context.Context, q Querier, m LocationMapping, now time.Time) error {
	switch {
	case m.DepotID <= 0:
		return errors.New("set location mapping: no depot id")
	case m.LocationID == "":
		return fmt.Errorf("set location mapping for depot %d: no location", m.DepotID)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO location_mappings
		(nhanh_depot_id, nhanh_depot_name, shopify_location_gid, shopify_location_name, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (nhanh_depot_id) DO UPDATE SET nhanh_depot_name = excluded.nhanh_depot_name,
			shopify_location_gid = excluded.shopify_location_gid,
			shopify_location_name = excluded.shopify_location_name`,
		int64(m.DepotID), m.DepotName, string(m.LocationID), m.LocationName, Millis(now))
	if err != nil {
		return fmt.Errorf("set location mapping for depot %d: %w", m.DepotID, err)
	}
	return nil
}

// DeleteLocationMapping unmaps a depot, or returns ErrNotFound.
func (s *Store) DeleteLocationMapping(ctx context.Context, q Querier, depotID extid.NhanhDepotID) error {
	res, err := q.ExecContext(ctx, `DELETE FROM location_mappings WHERE nhanh_depot_id = $1`, int64(depotID))
	if err != nil {
		return fmt.Errorf("delete location mapping for depot %d: %w", depotID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete location mapping for depot %d: %w", depotID, err)
	}
	if n == 0 {
		return fmt.Errorf("location mapping for depot %d: %w", depotID, ErrNotFound)
	}
	return nil
}
