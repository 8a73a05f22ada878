package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// Endpoints of Nhanh's app authorization (NhanhDocs /app).
const (
	EndpointGetAccessToken   = "app/getaccesstoken"
	EndpointCheckAccessToken = "app/checkaccesstoken"
)

// DefaultOAuthURL is the page where a business owner grants an app access.
const DefaultOAuthURL = "https://nhanh.vn/oauth"

// Grant is what a business granted the app: the token's lifetime, the
// business, the depots and the permissions. Nhanh fixes the depots and
// permissions when the grant is made; an empty Depots means every depot.
type Grant struct {
	// AccessToken is set only by an exchange; a check does not return it.
	AccessToken string
	ExpiresAt   time.Time
	BusinessID  string
	Depots      []extid.NhanhDepotID
	Permissions []string
}

// String describes the grant without its token.
func (g Grant) String() string {
	return fmt.Sprintf("nhanh.Grant{BusinessID: %q, ExpiresAt: %s, Depots: %v, Permissions: %d, AccessToken: %s}",
		g.BusinessID, g.ExpiresAt.UTC().Format(time.RFC3339), g.Depots, len(g.Permissions), redactedMark(g.AccessToken))
}

// GoString keeps %#v from printing the token.
func (g Grant) GoString() string { return g.String() }

// AllDepots reports whether the grant covers every depot.
func (g Grant) AllDepots() bool { return len(g.Depots) == 0 }

// Covers reports whether the grant includes depot d.
func (g Grant) Covers(d extid.NhanhDepotID) bool {
	if g.AllDepots() {
		return true
	}
	for _, x := range g.Depots {
		if x == d {
			return true
		}
	}
	return false
}

// grantWire is the data of getaccesstoken and checkaccesstoken. The check's
// reply is assumed to have the exchange's shape without accessToken: the
// docs describe only its request [UNCONFIRMED].
type grantWire struct {
	AccessToken string     `json:"accessToken"`
	ExpiredAt   flexInt    `json:"expiredAt"`
	BusinessID  flexString `json:"businessId"`
	DepotIDs    []flexInt  `json:"depotIds"`
	Permissions []any      `json:"permissions"`
}

func (w grantWire) grant() Grant {
	g := Grant{AccessToken: w.AccessToken, BusinessID: string(w.BusinessID)}
	if at := int64(w.ExpiredAt); at > 0 {
		if at > 1e11 { // milliseconds
			at /= 1000
		}
		g.ExpiresAt = time.Unix(at, 0).UTC()
	}
	for _, d := range w.DepotIDs {
		g.Depots = append(g.Depots, extid.NhanhDepotID(d))
	}
	for _, p := range w.Permissions {
		g.Permissions = append(g.Permissions, flattenValue(p))
	}
	return g
}

// ExchangeConfig is what an access code exchange needs: it happens before
// there is a token or a business id, so it has no Client.
type ExchangeConfig struct {
	// BaseURL is the API host; DefaultBaseURL when empty.
	BaseURL   string
	AppID     string
	SecretKey string
	// HTTPClient sends the request; a new client when nil.
	HTTPClient *http.Client
}

// AuthorizationURL is the page where the business owner grants the app
// access; Nhanh then redirects to returnLink?accessCode=... oauthURL is
// DefaultOAuthURL when empty.
func AuthorizationURL(oauthURL, appID, returnLink string) string {
	if oauthURL == "" {
		oauthURL = DefaultOAuthURL
	}
	q := url.Values{}
	q.Set("version", "3.0")
	q.Set("appId", appID)
	q.Set("returnLink", returnLink)
	return oauthURL + "?" + q.Encode()
}

// ExchangeAccessCode trades the accessCode Nhanh put on the return link for
// an access token (POST /v3.0/app/getaccesstoken). The code lives ten
// minutes and is good once, so the call is never retried: a second try
// would only be refused. Neither the code, the secret nor the token appears
// in an error.
func ExchangeAccessCode(ctx context.Context, cfg ExchangeConfig, accessCode string) (Grant, error) {
	const op = EndpointGetAccessToken
	switch {
	case cfg.AppID == "":
		return Grant{}, validation(op, "the app id is empty (SYNCOPS_NHANH_APP_ID)")
	case cfg.SecretKey == "":
		return Grant{}, validation(op, "the app secret key is empty (SYNCOPS_NHANH_SECRET_KEY)")
	case strings.TrimSpace(accessCode) == "":
		return Grant{}, validation(op, "the access code is empty")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultRequestTimeout}
	}
	body, err := json.Marshal(map[string]string{"accessCode": strings.TrimSpace(accessCode), "secretKey": cfg.SecretKey})
	if err != nil {
		return Grant{}, validation(op, "encode request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+apiVersionPath+op+"?"+url.Values{"appId": {cfg.AppID}}.Encode(), bytes.NewReader(body))
	if err != nil {
		return Grant{}, &apierr.Error{API: apiName, Op: op, Class: apierr.ClassValidation, Message: "build request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Grant{}, canceled(op, ctx.Err())
		}
		return Grant{}, &apierr.Error{API: apiName, Op: op, Class: apierr.ClassTransient, Message: "request failed", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return Grant{}, &apierr.Error{API: apiName, Op: op, Class: apierr.ClassTransient, HTTPStatus: resp.StatusCode,
			Message: "read reply", Err: err}
	}
	// A throwaway client classifies the reply the same way as every call,
	// with the secret as the string to redact.
	classifier := &Client{cfg: Config{AccessToken: cfg.SecretKey}.withDefaults()}
	env, apiErr := classifier.classify(op, resp.StatusCode, resp.Header, raw)
	if apiErr != nil {
		if apiErr.Class == apierr.ClassValidation {
			apiErr.Message = joinMessage(apiErr.Message, "an access code lives 10 minutes and works once; open the authorization URL again")
		}
		return Grant{}, apiErr
	}
	var w grantWire
	if err := json.Unmarshal(env.Data, &w); err != nil {
		return Grant{}, decodeError(op, env, err)
	}
	if w.AccessToken == "" {
		return Grant{}, decodeError(op, env, fmt.Errorf("no accessToken in the reply"))
	}
	return w.grant(), nil
}

// CheckAccessToken asks Nhanh about the client's token
// (POST /v3.0/app/checkaccesstoken with the app's secret key): its expiry,
// business, depots and permissions. A revoked or expired token is a
// ClassAuth error with Code ERR_INVALID_ACCESS_TOKEN.
func (c *Client) CheckAccessToken(ctx context.Context, secretKey string) (Grant, error) {
	const op = EndpointCheckAccessToken
	if secretKey == "" {
		return Grant{}, validation(op, "the app secret key is empty (SYNCOPS_NHANH_SECRET_KEY)")
	}
	body, err := json.Marshal(map[string]string{"secretKey": secretKey})
	if err != nil {
		return Grant{}, validation(op, "encode request")
	}
	env, callErr := c.call(ctx, op, body)
	if callErr != nil {
		return Grant{}, scrubSecret(callErr, secretKey)
	}
	var w grantWire
	if len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, &w); err != nil {
			return Grant{}, decodeError(op, env, err)
		}
	}
	g := w.grant()
	g.AccessToken = ""
	return g, nil
}

// AppID is the app id the client calls with.
func (c *Client) AppID() string { return c.cfg.AppID }

// BusinessID is the business id the client calls with.
func (c *Client) BusinessID() string { return c.cfg.BusinessID }

// scrubSecret removes the secret key from an error's text, should the
// server have echoed it.
func scrubSecret(err error, secret string) error {
	if e, ok := err.(*apierr.Error); ok && secret != "" {
		e.Message = strings.ReplaceAll(e.Message, secret, redactedToken)
		e.Code = strings.ReplaceAll(e.Code, secret, redactedToken)
	}
	return err
}
