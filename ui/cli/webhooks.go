package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"syncops/engine"
)

func newWebhooksCmd(e *env) *cobra.Command {
	var limit int
	var before int64
	var event string
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Show recent Nhanh webhook deliveries and what they caused, newest first",
		Long: `Show the webhook deliveries the HTTP API received at POST /webhooks/nhanh (set
SYNCOPS_NHANH_WEBHOOK_TOKEN to turn the route on): when each arrived, its event, how
often the same delivery came again, and its outcome: "pending" until processed, then
"processed" (with the job it started or joined, e.g. a targeted PRODUCT_SYNC for
inventoryChange or CUSTOMER_SYNC for order events), "ignored" (nothing to do: the
webhooksEnabled probe, events syncops does not use, nothing mapped) or "failed" (with
the reason).`,
		Example: `  syncops webhooks
  syncops webhooks --event inventoryChange --limit 20
  syncops webhooks --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeApp(a)
			list, err := a.Engine.WebhookDeliveries(cmd.Context(), engine.WebhookFilter{Limit: limit, BeforeID: before, Event: event})
			if err != nil {
				return err
			}
			if e.jsonOut {
				out := make([]webhookJSON, len(list))
				for i, d := range list {
					out[i] = webhookJSON{ID: d.ID, Source: d.Source, Event: d.Event, ReceivedAt: d.ReceivedAt,
						Duplicates: d.Duplicates, Outcome: outcomeOf(d), Detail: d.Detail, JobID: d.JobID}
					if !d.Pending() {
						at := d.ProcessedAt
						out[i].ProcessedAt = &at
					}
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No webhook deliveries (is SYNCOPS_NHANH_WEBHOOK_TOKEN set and the URL registered at Nhanh?).")
				return nil
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tRECEIVED\tEVENT\tAGAIN\tOUTCOME\tJOB\tDETAIL")
			for _, d := range list {
				job := ""
				if d.JobID != 0 {
					job = fmt.Sprint(d.JobID)
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.ReceivedAt.Local().Format(time.DateTime), d.Event,
					d.Duplicates, outcomeOf(d), job, d.Detail)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many deliveries")
	cmd.Flags().Int64Var(&before, "before", 0, "only deliveries older than this id (paging)")
	cmd.Flags().StringVar(&event, "event", "", "only this event, e.g. inventoryChange")
	cmd.Flags().BoolVar(&e.jsonOut, "json", false, "print JSON")
	return cmd
}

// outcomeOf is a delivery's outcome, "pending" until it is processed.
func outcomeOf(d engine.WebhookDelivery) string {
	if d.Pending() {
		return "pending"
	}
	return d.Outcome
}

type webhookJSON struct {
	ID          int64      `json:"id"`
	Source      string     `json:"source"`
	Event       string     `json:"event"`
	ReceivedAt  time.Time  `json:"receivedAt"`
	Duplicates  int        `json:"duplicates"`
	Outcome     string     `json:"outcome"`
	ProcessedAt *time.Time `json:"processedAt"`
	Detail      string     `json:"detail"`
	JobID       int64      `json:"jobId,omitempty"`
}
