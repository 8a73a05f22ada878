// Package demo runs syncops against the built-in sandbox: it starts the
// in-process fakes of Nhanh.vn and Shopify and points an app configuration
// at them. The CLI's demo command uses it, so the faces never hold an API
// client or a fake themselves.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"syncops/clients/sandbox"
	"syncops/clients/sandbox/fault"
	"syncops/engine/app"
)

// Options describe the generated shop and how the fakes behave.
type Options struct {
	Seed      uint64
	Customers int
	Products  int
	// Scale speeds up the fakes' rate limits; 1 is the published limits.
	Scale float64
	// Faults is a fault mix like "seed=1,5xx=0.05" (see fault.Parse); empty
	// injects none.
	Faults string
}

// ErrInvalidOptions wraps every refusal of Validate and Start's options.
var ErrInvalidOptions = errors.New("invalid demo options")

// Validate checks the options without starting anything.
func (o Options) Validate() error {
	_, err := o.sandbox()
	return err
}

func (o Options) sandbox() (sandbox.Options, error) {
	spec, err := fault.Parse(o.Faults)
	if err != nil {
		return sandbox.Options{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	so := sandbox.Options{Seed: o.Seed, Customers: o.Customers, Products: o.Products, Scale: o.Scale, Faults: spec}
	if err := so.Validate(); err != nil {
		return sandbox.Options{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return so, nil
}

// Sandbox is the running fakes.
type Sandbox struct {
	sb *sandbox.Sandbox
}

// Start generates the shop and starts both fakes on loopback.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	so, err := o.sandbox()
	if err != nil {
		return nil, err
	}
	sb, err := sandbox.Start(ctx, so)
	if err != nil {
		return nil, err
	}
	return &Sandbox{sb: sb}, nil
}

// Close stops the fakes.
func (s *Sandbox) Close(ctx context.Context) error { return s.sb.Close(ctx) }

// Configure points cfg's APIs at the fakes, with their credentials and
// Nhanh's rate window at the fakes' scale.
func (s *Sandbox) Configure(cfg *app.Config) {
	ep := s.sb.Endpoints()
	// The webhook settings are the operator's: the fakes deliver to them.
	token, window := cfg.Nhanh.WebhookToken, cfg.Nhanh.WebhookWindow
	cfg.Nhanh = app.NhanhConfig{BaseURL: ep.NhanhBaseURL, AppID: ep.NhanhAppID, BusinessID: ep.NhanhBusinessID,
		AccessToken: app.Secret(ep.NhanhToken), SecretKey: app.Secret(ep.NhanhSecretKey),
		RateWindow: s.sb.Nhanh().Window(), WebhookToken: token, WebhookWindow: window}
	cfg.Shopify = app.ShopifyConfig{Shop: ep.ShopifyShop, BaseURL: ep.ShopifyBaseURL, APIVersion: ep.ShopifyAPIVersion,
		AccessToken: app.Secret(ep.ShopifyToken)}
}

// DeliverWebhooks makes the Nhanh fake deliver Nhanh's v3 webhooks to url
// with token as the verify token, for every stock and order change it
// makes.
func (s *Sandbox) DeliverWebhooks(url, token string) { s.sb.DeliverWebhooks(url, token) }

// Trade keeps the fake shop selling every interval until ctx ends (orders,
// a partial return and a deletion each time), moving stock and spend.
func (s *Sandbox) Trade(ctx context.Context, every time.Duration) { s.sb.Trade(ctx, every) }

// Endpoints are where the fakes listen, for the banner.
type Endpoints struct {
	NhanhURL   string
	ShopifyURL string
	Shop       string
}

// Endpoints returns where the fakes listen.
func (s *Sandbox) Endpoints() Endpoints {
	ep := s.sb.Endpoints()
	return Endpoints{NhanhURL: ep.NhanhBaseURL, ShopifyURL: ep.ShopifyBaseURL, Shop: ep.ShopifyShop}
}
