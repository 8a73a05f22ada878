package cli

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syncops/engine"
	"syncops/engine/locations"
)

func newLocationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "locations",
		Short: "Show which Nhanh depots feed which Shopify location",
		Long: `Show Nhanh depots, Shopify locations and the mappings between them. A product
sync writes, at each mapped Shopify location, the SUM of the available stock of
the depots mapped to it; with no mappings it writes the total at the primary
location.`,
		Example: `  syncops locations --json
  syncops locations set 1001 gid://shopify/Location/5001
  syncops locations rm 1001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			v, err := a.Locations.List(cmd.Context())
			if err != nil {
				return err
			}
			if e.jsonOut {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "MAPPINGS")
			fmt.Fprintln(w, "DEPOT\tNAME\t->\tLOCATION\tNAME")
			for _, m := range v.Mappings {
				fmt.Fprintf(w, "%d\t%s\t->\t%s\t%s\n", m.DepotID, m.DepotName, m.LocationID, m.LocationName)
			}
			if len(v.Mappings) == 0 {
				fmt.Fprintln(w, "(none: product syncs write the total at the primary location)")
			}
			fmt.Fprintln(w, "\nNHANH DEPOTS")
			for _, d := range v.Depots {
				fmt.Fprintf(w, "%d\t%s\n", d.ID, d.Name)
			}
			fmt.Fprintln(w, "\nSHOPIFY LOCATIONS")
			for _, l := range v.Locations {
				primary := ""
				if l.Primary {
					primary = "primary"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", l.ID, l.Name, primary)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "set NHANH_DEPOT_ID SHOPIFY_LOCATION_GID",
		Short: "Map a Nhanh depot to a Shopify location (checked against both APIs)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			depot, err := parseDepot(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Locations.Set(cmd.Context(), depot, locations.LocationID(args[1]), localActor(engine.ActorCLI)); err != nil {
				return locationError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "depot %d -> %s\n", depot, args[1])
			return nil
		},
	}, &cobra.Command{
		Use:     "rm NHANH_DEPOT_ID",
		Aliases: []string{"remove"},
		Short:   "Remove a depot's mapping",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			depot, err := parseDepot(args[0])
			if err != nil {
				return err
			}
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			if err := a.Locations.Remove(cmd.Context(), depot, localActor(engine.ActorCLI)); err != nil {
				return locationError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "depot %d unmapped\n", depot)
			return nil
		},
	})
	return cmd
}

func parseDepot(s string) (locations.DepotID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, refused(fmt.Errorf("%q is not a Nhanh depot id", s))
	}
	return locations.DepotID(n), nil
}

func locationError(err error) error {
	if errors.Is(err, engine.ErrNotFound) || errors.Is(err, locations.ErrNotConfigured) || errors.Is(err, locations.ErrInvalidInput) ||
		errors.Is(err, engine.ErrForbidden) {
		return refused(err)
	}
	return err
}
