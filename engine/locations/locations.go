// Package locations manages which Nhanh depots feed which Shopify location:
// product syncs write, at each mapped location, the sum of the available
// stock of the depots mapped to it. Every change is validated against both
// sides and recorded in the audit log.
package locations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/jonboulle/clockwork"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/store"
)

// DepotID is a Nhanh depot's id, the faces' name for the typed id of the
// Nhanh client (so a face names it without importing an API client).
type DepotID = extid.NhanhDepotID

// LocationID is a Shopify location's GID (see DepotID).
type LocationID = extid.ShopifyLocationGID

// Depot is a Nhanh depot.
type Depot struct {
	ID   DepotID `json:"id"`
	Name string  `json:"name"`
}

// Location is a Shopify location.
type Location struct {
	ID      LocationID `json:"id"`
	Name    string     `json:"name"`
	Primary bool       `json:"primary"`
}

// Mapping sends one depot's stock to one location.
type Mapping struct {
	DepotID      DepotID    `json:"depotId"`
	DepotName    string     `json:"depotName"`
	LocationID   LocationID `json:"locationId"`
	LocationName string     `json:"locationName"`
}

// View is both sides and the mappings between them.
type View struct {
	Depots    []Depot    `json:"depots"`
	Locations []Location `json:"locations"`
	Mappings  []Mapping  `json:"mappings"`
}

// Service lists and changes location mappings.
type Service struct {
	store   *store.Store
	nhanh   *nhanh.Client
	shopify *shopify.Client
	clock   clockwork.Clock
}

// New builds a Service. nhanh or shopify may be nil when that API is not
// configured: List then shows only the saved mappings, and Set refuses.
func New(s *store.Store, nc *nhanh.Client, sc *shopify.Client, clock clockwork.Clock) *Service {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Service{store: s, nhanh: nc, shopify: sc, clock: clock}
}

// Sentinel errors callers branch on.
var (
	// ErrNotConfigured: the API a change must be validated against is not configured.
	ErrNotConfigured = errors.New("API not configured")
	// ErrInvalidInput: the location id is not a Shopify location GID.
	ErrInvalidInput = errors.New("invalid input")
)

// List returns the depots, the locations and the saved mappings.
func (s *Service) List(ctx context.Context) (View, error) {
	var v View
	saved, err := s.store.LocationMappings(ctx, s.store.Reader())
	if err != nil {
		return View{}, engine.FromStore(err)
	}
	for _, m := range saved {
		v.Mappings = append(v.Mappings, Mapping{DepotID: m.DepotID, DepotName: m.DepotName,
			LocationID: m.LocationID, LocationName: m.LocationName})
	}
	if s.nhanh != nil {
		depots, err := s.nhanh.Depots(ctx)
		if err != nil {
			return View{}, fmt.Errorf("list Nhanh depots: %w", err)
		}
		for _, d := range depots {
			v.Depots = append(v.Depots, Depot{ID: d.ID, Name: d.Name})
		}
		sort.Slice(v.Depots, func(i, j int) bool { return v.Depots[i].ID < v.Depots[j].ID })
	}
	if s.shopify != nil {
		locs, err := s.shopify.Locations(ctx)
		if err != nil {
			return View{}, fmt.Errorf("list Shopify locations: %w", err)
		}
		for _, l := range locs {
			v.Locations = append(v.Locations, Location{ID: l.ID, Name: l.Name, Primary: l.Primary})
		}
	}
	return v, nil
}

// Set maps a depot to a location (replacing the depot's earlier mapping),
// after checking that both exist. A viewer is refused with
// engine.ErrForbidden.
func (s *Service) Set(ctx context.Context, depotID DepotID, locID LocationID, actor engine.Actor) error {
	if err := actor.Authorize(fmt.Sprintf("map depot %d", depotID)); err != nil {
		return err
	}
	if s.nhanh == nil || s.shopify == nil {
		return fmt.Errorf("map depot %d: both APIs must be configured to check the depot and the location: %w", depotID, ErrNotConfigured)
	}
	if _, err := extid.ParseTypedGID(string(locID), extid.ResourceLocation); err != nil {
		return fmt.Errorf("map depot %d: %w (%w)", depotID, err, ErrInvalidInput)
	}
	v, err := s.List(ctx)
	if err != nil {
		return err
	}
	var depot *Depot
	for i := range v.Depots {
		if v.Depots[i].ID == depotID {
			depot = &v.Depots[i]
		}
	}
	if depot == nil {
		return fmt.Errorf("map depot %d: Nhanh has no such depot (%s): %w", depotID, depotList(v.Depots), engine.ErrNotFound)
	}
	var loc *Location
	for i := range v.Locations {
		if v.Locations[i].ID == locID {
			loc = &v.Locations[i]
		}
	}
	if loc == nil {
		return fmt.Errorf("map depot %d: Shopify has no location %s: %w", depotID, locID, engine.ErrNotFound)
	}
	now := s.clock.Now()
	return s.store.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.SetLocationMapping(ctx, tx, store.LocationMapping{DepotID: depot.ID, DepotName: depot.Name,
			LocationID: loc.ID, LocationName: loc.Name}, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "location.set", fmt.Sprintf("depot %d (%s) -> %s (%s)", depot.ID, depot.Name, loc.ID, loc.Name))
	})
}

// Remove deletes a depot's mapping. A viewer is refused with
// engine.ErrForbidden.
func (s *Service) Remove(ctx context.Context, depotID DepotID, actor engine.Actor) error {
	if err := actor.Authorize(fmt.Sprintf("unmap depot %d", depotID)); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.DeleteLocationMapping(ctx, tx, depotID); err != nil {
			return fmt.Errorf("unmap depot %d: %w", depotID, engine.FromStore(err))
		}
		return s.audit(ctx, tx, actor, "location.remove", "depot "+strconv.FormatInt(int64(depotID), 10))
	})
}

// audit records an operator's change in q, the change's own transaction, so
// the two commit together.
func (s *Service) audit(ctx context.Context, q store.Querier, actor engine.Actor, action, detail string) error {
	if actor.Kind == "" {
		return nil
	}
	return s.store.AddAudit(ctx, q, store.AuditEntry{At: s.clock.Now(), Actor: actor.Name,
		ActorKind: store.ActorKind(actor.Kind), Action: action, Detail: detail})
}

func depotList(ds []Depot) string {
	if len(ds) == 0 {
		return "it lists none"
	}
	out := "known:"
	for i, d := range ds {
		if i == 8 {
			out += " ..."
			break
		}
		out += fmt.Sprintf(" %d (%s)", d.ID, d.Name)
	}
	return out
}
