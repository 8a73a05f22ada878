package pull

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// pulledPage is one page of a source, as mirror rows.
type pulledPage[R any] struct {
	rows []R
	// next is the source's token for the following page as JSON, exactly
	// as the source sent it (Nhanh's paginator.next object; Shopify's
	// endCursor as a JSON string); nil when this page was the last.
	next json.RawMessage
}

// pageFetcher returns the page after cursor (nil: the first page).
type pageFetcher[R any] func(ctx context.Context, cursor json.RawMessage) (pulledPage[R], error)

// errRepeatedCursor stops a pull whose source hands back the cursor it was
// given: following it would loop forever.
var errRepeatedCursor = errors.New("the source answered with the cursor it was sent, which would loop forever")

// fetchPage fetches the page after cursor and refuses a page that points
// back at itself.
func fetchPage[R any](ctx context.Context, fetch pageFetcher[R], cursor json.RawMessage) (pulledPage[R], error) {
	page, err := fetch(ctx, cursor)
	if err != nil {
		return page, err
	}
	if page.next != nil && cursor != nil && bytes.Equal(page.next, cursor) {
		return page, errRepeatedCursor
	}
	return page, nil
}

// fetchedPage is a page, or the error that ended the fetching.
type fetchedPage[R any] struct {
	page pulledPage[R]
	err  error
}

// pageWriter stores rows of one or more consecutive pages (pages of them)
// and moves past them: next is the last page's next, last says it ended the
// source.
type pageWriter[R any] func(ctx context.Context, rows []R, next json.RawMessage, last bool, pages int) error

// pipePages pulls from cursor to the end: a goroutine fetches pages one
// after another (the first being page number first, for errors), while
// write stores what has arrived; at most pullMaxPagesPerTx pages wait. At API
// speed every page is stored on its own; when the database falls behind, pages that are waiting are stored together (group commit),
// so the database never paces the pull. Pages fetched but not stored when
// the pull stops are fetched again next time.
func pipePages[R any](ctx context.Context, fetch pageFetcher[R], cursor json.RawMessage, first int64, write pageWriter[R]) error {
	fetchCtx, cancel := context.WithCancel(ctx)
	pages := make(chan fetchedPage[R], pullMaxPagesPerTx)
	fetcherDone := make(chan struct{})
	go func() {
		defer close(fetcherDone)
		defer close(pages)
		for n := first; ; n++ {
			page, err := fetchPage(fetchCtx, fetch, cursor)
			if err != nil {
				err = fmt.Errorf("page %d: %w", n, err)
			}
			select {
			case pages <- fetchedPage[R]{page: page, err: err}:
			case <-fetchCtx.Done():
				return
			}
			if err != nil || page.next == nil {
				return
			}
			cursor = page.next
		}
	}()
	defer func() {
		cancel()
		<-fetcherDone
	}()
	return writeArrived(ctx, pages, write)
}

// errPagesEnded is pages closed before the last page arrived.
var errPagesEnded = errors.New("the pages ended before the source's last page")

// writeArrived stores pages as they arrive, each batch all those waiting
// (at most pullMaxPagesPerTx), until it has stored the source's last page;
// a fetch error ends it after the pages fetched before it are stored.
func writeArrived[R any](ctx context.Context, pages <-chan fetchedPage[R], write pageWriter[R]) error {
	for {
		var first fetchedPage[R]
		var ok bool
		select {
		case first, ok = <-pages:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			// Only a stopping fetcher closes without the last page.
			return cmp.Or(ctx.Err(), errPagesEnded)
		}
		if first.err != nil {
			return first.err
		}
		rows, next, n := first.page.rows, first.page.next, 1
		var fetchErr error
	batch:
		for next != nil && n < pullMaxPagesPerTx {
			select {
			case more, ok := <-pages:
				if !ok {
					break batch
				}
				if more.err != nil {
					fetchErr = more.err
					break batch
				}
				if n == 1 {
					rows = append(make([]R, 0, len(rows)*pullMaxPagesPerTx), rows...)
				}
				rows, next = append(rows, more.page.rows...), more.page.next
				n++
			default:
				break batch
			}
		}
		if err := write(ctx, rows, next, next == nil, n); err != nil {
			return err
		}
		if fetchErr != nil {
			return fetchErr
		}
		if next == nil {
			return nil
		}
	}
}

// nhanhCustomerPages fetches pages of customer/list (100 rows, Nhanh's
// cap; the client asks for it) of every type in turn, or of f.Type alone
// when it is set. Nhanh does not document that a list without a type
// returns every type (clients always send one), so "all customers" is asked
// type by type (nhanh.CustomerTypes).
func (d Deps) nhanhCustomerPages(f nhanh.CustomerFilter) pageFetcher[store.NhanhCustomer] {
	types := nhanh.CustomerTypes
	if f.Type != nhanh.CustomerTypeAll {
		types = []int{f.Type}
	}
	return partPages(types, func(typ int) pageFetcher[store.NhanhCustomer] {
		f := f
		f.Type = typ
		return func(ctx context.Context, cursor json.RawMessage) (pulledPage[store.NhanhCustomer], error) {
			page, err := d.Nhanh.ListCustomers(ctx, f, cursor)
			if err != nil {
				return pulledPage[store.NhanhCustomer]{}, fmt.Errorf("customers of type %d: %w", typ, err)
			}
			rows := make([]store.NhanhCustomer, len(page.Customers))
			for i, c := range page.Customers {
				rows[i] = mirror.NhanhCustomer(c)
			}
			return pulledPage[store.NhanhCustomer]{rows: rows, next: page.Next}, nil
		}
	})
}

// nhanhProductPages fetches pages of product/list, each product with its
// stock per depot, of every status in turn: whether a list without a status
// returns every status is not documented (nhanh.ProductStatuses).
func (d Deps) nhanhProductPages() pageFetcher[store.NhanhProduct] {
	return partPages(nhanh.ProductStatuses, func(status int) pageFetcher[store.NhanhProduct] {
		return func(ctx context.Context, cursor json.RawMessage) (pulledPage[store.NhanhProduct], error) {
			page, err := d.Nhanh.ListProducts(ctx, nhanh.ProductFilter{Status: status}, cursor)
			if err != nil {
				return pulledPage[store.NhanhProduct]{}, fmt.Errorf("products of status %d: %w", status, err)
			}
			rows := make([]store.NhanhProduct, len(page.Products))
			for i, p := range page.Products {
				rows[i] = mirror.NhanhProduct(p)
			}
			return pulledPage[store.NhanhProduct]{rows: rows, next: page.Next}, nil
		}
	})
}

// shopifyCustomerPages fetches pages of 250 customers matching query.
func (d Deps) shopifyCustomerPages(query string) pageFetcher[store.ShopifyCustomer] {
	return func(ctx context.Context, cursor json.RawMessage) (pulledPage[store.ShopifyCustomer], error) {
		after, err := shopifyAfter(cursor)
		if err != nil {
			return pulledPage[store.ShopifyCustomer]{}, err
		}
		page, err := d.Shopify.ListCustomers(ctx, query, after)
		if err != nil {
			return pulledPage[store.ShopifyCustomer]{}, err
		}
		rows := make([]store.ShopifyCustomer, len(page.Customers))
		for i, c := range page.Customers {
			rows[i] = mirror.ShopifyCustomer(c)
		}
		next, err := shopifyNext(page.HasNextPage, page.EndCursor)
		return pulledPage[store.ShopifyCustomer]{rows: rows, next: next}, err
	}
}

// shopifyVariantPages fetches pages of 250 product variants matching query.
func (d Deps) shopifyVariantPages(query string) pageFetcher[store.ShopifyVariant] {
	return func(ctx context.Context, cursor json.RawMessage) (pulledPage[store.ShopifyVariant], error) {
		after, err := shopifyAfter(cursor)
		if err != nil {
			return pulledPage[store.ShopifyVariant]{}, err
		}
		page, err := d.Shopify.ListVariants(ctx, query, after)
		if err != nil {
			return pulledPage[store.ShopifyVariant]{}, err
		}
		rows := make([]store.ShopifyVariant, len(page.Variants))
		for i, v := range page.Variants {
			rows[i] = mirror.ShopifyVariant(v)
		}
		next, err := shopifyNext(page.HasNextPage, page.EndCursor)
		return pulledPage[store.ShopifyVariant]{rows: rows, next: next}, err
	}
}

// shopifyCustomerBulk exports the customers matching query in bulk.
func (d Deps) shopifyCustomerBulk(query string) *bulkSource[store.ShopifyCustomer] {
	return &bulkSource[store.ShopifyCustomer]{
		count: func(ctx context.Context) (shopify.Count, error) { return d.Shopify.CountCustomers(ctx, query) },
		start: func(ctx context.Context) (string, error) { return d.Shopify.StartCustomerExport(ctx, query) },
		read: func(ctx context.Context, url string, skip int64, fn func(int64, store.ShopifyCustomer) error) error {
			return d.Shopify.ReadCustomerExport(ctx, url, skip, func(seen int64, c shopify.Customer) error {
				return fn(seen, mirror.ShopifyCustomer(c))
			})
		},
	}
}

// shopifyVariantBulk exports the variants matching query in bulk.
func (d Deps) shopifyVariantBulk(query string) *bulkSource[store.ShopifyVariant] {
	return &bulkSource[store.ShopifyVariant]{
		count: func(ctx context.Context) (shopify.Count, error) { return d.Shopify.CountVariants(ctx, query) },
		start: func(ctx context.Context) (string, error) { return d.Shopify.StartVariantExport(ctx, query, nil) },
		read: func(ctx context.Context, url string, skip int64, fn func(int64, store.ShopifyVariant) error) error {
			return d.Shopify.ReadVariantExport(ctx, url, skip, nil, func(seen int64, v shopify.Variant) error {
				return fn(seen, mirror.ShopifyVariant(v))
			})
		},
	}
}

// shopifyAfter reads a stored Shopify cursor (a JSON string).
func shopifyAfter(cursor json.RawMessage) (string, error) {
	if cursor == nil {
		return "", nil
	}
	var after string
	if err := json.Unmarshal(cursor, &after); err != nil {
		return "", fmt.Errorf("stored Shopify cursor %s is not a JSON string: %w", cursor, err)
	}
	return after, nil
}

// shopifyNext is the stored form of a page's end cursor, nil after the
// last page. A page that says more follow but gives no cursor is an error:
// taking it for the last page would end the pull early, and a complete
// pull marks what it did not see as deleted.
func shopifyNext(hasNext bool, endCursor string) (json.RawMessage, error) {
	if !hasNext {
		return nil, nil
	}
	if endCursor == "" {
		return nil, errors.New("shopify said more pages follow but sent no end cursor")
	}
	b, err := json.Marshal(endCursor)
	if err != nil { // a string always marshals
		return nil, fmt.Errorf("encode Shopify cursor: %w", err)
	}
	return b, nil
}
