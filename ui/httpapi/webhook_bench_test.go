package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkNhanhWebhook measures sustained deliveries per second through
// POST /webhooks/nhanh (a real client over loopback, 8 senders, every body
// distinct) on each database, with the p99 of the answer time: each answer
// comes after the delivery and its drain job are committed. Workers run,
// so the drains process deliveries beside the intake, as in production.
func BenchmarkNhanhWebhook(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			bd := setup(b, setupOptions{webhookToken: webhookToken, postgres: db == "postgres", workers: true})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var seq atomic.Int64
			var mu sync.Mutex
			var latencies []time.Duration
			b.SetParallelism(4) // 4 x GOMAXPROCS senders
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					n := seq.Add(1)
					body := fmt.Sprintf(`{"event":"inventoryChange","businessId":1,"data":[{"id":%d,"available":%d,"depots":[{"id":1,"available":%d}]}]}`,
						n%5000+1, n, n)
					req, err := http.NewRequest(http.MethodPost, bd.base+WebhookPath, strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					req.Header.Set("Authorization", webhookToken)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_ = resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if len(latencies) == 0 {
				return
			}
			slices.Sort(latencies)
			p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "deliveries/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
