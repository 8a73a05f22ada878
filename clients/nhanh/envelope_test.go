package nhanh

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"syncops/clients/extid"
)

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    envelope
		wantErr string
	}{
		{
			name: "success with cursor kept byte for byte",
			body: `{"code":1,"data":[{"id":1}],"paginator":{"next": {"id": 142401158,  "x":[1]}}}`,
			want: envelope{Code: 1, Data: json.RawMessage(`[{"id":1}]`), Next: json.RawMessage(`{"id": 142401158,  "x":[1]}`)},
		},
		{name: "last page without paginator", body: `{"code":1,"data":[]}`, want: envelope{Code: 1, Data: json.RawMessage(`[]`)}},
		{name: "null next", body: `{"code":1,"data":null,"paginator":{"next":null,"total":5}}`, want: envelope{Code: 1}},
		{name: "empty next object", body: `{"code":1,"paginator":{"next":{}}}`, want: envelope{Code: 1}},
		{name: "PHP empty paginator", body: `{"code":1,"paginator":[]}`, want: envelope{Code: 1}},
		{name: "code as string", body: `{"code":"1"}`, want: envelope{Code: 1}},
		{
			name: "messages string",
			body: `{"code":0,"errorCode":"ERR_INVALID_ACCESS_TOKEN","messages":"accessToken is invalid"}`,
			want: envelope{ErrorCode: "ERR_INVALID_ACCESS_TOKEN", Message: "accessToken is invalid"},
		},
		{
			name: "messages map in key order",
			body: `{"code":0,"errorCode":"ERR_INVALID_FORM_FIELDS","messages":{"paginator.size":"too big","filters.ids":["too many","not ints"]}}`,
			want: envelope{ErrorCode: "ERR_INVALID_FORM_FIELDS", Message: "filters.ids: too many, not ints; paginator.size: too big"},
		},
		{name: "messages array", body: `{"code":0,"messages":["a", "", "b"]}`, want: envelope{Message: "a; b"}},
		{
			name: "singular message of ERR_429",
			body: `{"code":0,"errorCode":"ERR_429","message":"Your app exceeded the API Rate Limit","data":{"lockedSeconds":10,"unlockedAt":1733387520}}`,
			want: envelope{ErrorCode: "ERR_429", Message: "Your app exceeded the API Rate Limit", Data: json.RawMessage(`{"lockedSeconds":10,"unlockedAt":1733387520}`)},
		},
		{name: "truncated", body: `{"code":1,"data":[{"id":1,"name":"Nguy`, wantErr: "decode reply"},
		{name: "HTML", body: `<html><body>502 Bad Gateway</body></html>`, wantErr: "not a JSON object"},
		{name: "empty", body: ``, wantErr: "not a JSON object"},
		{name: "no code", body: `{"data":[]}`, wantErr: "no code"},
		{name: "fractional code", body: `{"code":1.5}`, wantErr: "reply code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseEnvelope([]byte(tt.body))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestFlattenJSONTruncatesLongMessages(t *testing.T) {
	t.Parallel()
	env, err := parseEnvelope([]byte(`{"code":0,"messages":"` + strings.Repeat("ệ", 400) + `"}`))
	require.NoError(t, err)
	require.True(t, utf8.ValidString(env.Message))
	require.LessOrEqual(t, len(env.Message), maxMessageLen+len("…"))
}

func TestFlexDecoding(t *testing.T) {
	t.Parallel()
	var row struct {
		ID     flexInt     `json:"id"`
		Amount flexFloat   `json:"amount"`
		Qty    flexQty     `json:"qty"`
		Mobile flexString  `json:"mobile"`
		Depots depotStocks `json:"depots"`
		Prices phpObject[pricesWire]
	}
	require.NoError(t, json.Unmarshal([]byte(`{"id":"42","amount":"1500.5","qty":2.9,"mobile":84901234567,
		"depots":{"10":{"available":"3"},"11":{"available":1}},"Prices":[]}`), &row))
	require.Equal(t, flexInt(42), row.ID)
	require.Equal(t, flexFloat(1500.5), row.Amount)
	require.Equal(t, flexQty(2), row.Qty, "fractional stock rounds down to whole units")
	require.Equal(t, flexString("84901234567"), row.Mobile)
	require.Equal(t, depotStocks{10: 3, 11: 1}, row.Depots, "v2-style depots keyed by id")
	require.Zero(t, row.Prices.V.Retail)

	require.NoError(t, json.Unmarshal([]byte(`{"id":null,"amount":null,"mobile":null,"depots":[{"id":7,"available":5}]}`), &row))
	require.Zero(t, row.ID)
	require.Equal(t, depotStocks{7: 5}, row.Depots)

	for _, bad := range []string{`{"id":1.5}`, `{"id":"x"}`, `{"amount":"NaN"}`, `{"mobile":true}`, `{"depots":[{"available":1}]}`, `{"qty":1e300}`} {
		require.Error(t, json.Unmarshal([]byte(bad), &row), bad)
	}
}

func TestListBodyEchoesNextVerbatim(t *testing.T) {
	t.Parallel()
	next := json.RawMessage(`{"id": 142401158, "by": "<id>", "big": 9007199254740993}`)
	body, err := listBody(EndpointCustomerList, customerFilterJSON{Mobile: "0901"}, next)
	require.NoError(t, err)
	require.Equal(t, `{"filters":{"mobile":"0901"},"paginator":{"size":100,"next":`+string(next)+`}}`, string(body))

	body, err = listBody(EndpointCustomerList, struct{}{}, nil)
	require.NoError(t, err)
	require.Equal(t, `{"filters":{},"paginator":{"size":100}}`, string(body))

	_, err = listBody(EndpointCustomerList, struct{}{}, json.RawMessage(`{"id":`))
	require.ErrorContains(t, err, "not valid JSON")
}

// FuzzParseEnvelope checks the reply parser never panics, and that whatever
// it accepts is consistent: a cursor is valid JSON found verbatim in the body,
// data is valid JSON, and the message is one readable line.
func FuzzParseEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"code":1,"data":[{"id":1}],"paginator":{"next":{"id": 142401158}}}`,
		`{"code":0,"errorCode":"ERR_INVALID_FORM_FIELDS","messages":{"paginator.size":"too big"}}`,
		`{"code":0,"errorCode":"ERR_429","message":"rate","data":{"lockedSeconds":10,"unlockedAt":1733387520}}`,
		`{"code":"1","paginator":[]}`,
		`{"code":1,"data":[{"id":1,"name":"Nguy`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		if env.Next != nil {
			require.True(t, json.Valid(env.Next))
			require.True(t, bytes.Contains(body, env.Next), "next must be the received bytes")
		}
		if env.Data != nil {
			require.True(t, json.Valid(env.Data))
		}
		require.LessOrEqual(t, utf8.RuneCountInString(env.Message), maxMessageLen+1)
	})
}

// FuzzDecodeRows checks the row decoders of every endpoint never panic on
// any data member, and that the stock they accept has positive depot ids and
// a usable (non-nil) depot map.
func FuzzDecodeRows(f *testing.F) {
	for _, seed := range []string{
		`[{"id":1,"type":1,"name":"A","mobile":"0901","totalAmount":1500.5,"lastBoughtDate":null,"updatedAt":1}]`,
		`[{"id":1,"code":"SKU","prices":{"retail":1},"inventory":{"available":3,"depots":[{"id":10,"available":3}]}}]`,
		`[{"productId":"7","inventory":{"available":"2.5","depots":{"10":{"available":2}}}}]`,
		`[{"id":1,"prices":[],"inventory":[]}]`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeRows[customerWire](data)
		if products, err := decodeRows[productWire](data); err == nil {
			for _, p := range products {
				for id := range p.Inventory.V.Depots {
					require.Positive(t, int64(id))
				}
			}
		}
		if rows, err := decodeRows[inventoryRowWire](data); err == nil {
			for _, r := range rows {
				stock := r.Inventory.V.stock()
				require.NotNil(t, stock.Depots)
			}
		}
		_, _ = decodeRows[depotWire](data)
	})
}

// FuzzListBody checks that any cursor the parser could hand back is echoed
// byte for byte inside a valid request body.
func FuzzListBody(f *testing.F) {
	for _, seed := range []string{`{"id": 142401158}`, `{"id":1,"by":"<id>"}`, `"opaque"`, `[1, 2.50]`, `{"a":{"b":[null]}}`} {
		f.Add([]byte(seed), "0901", int64(3))
	}
	f.Fuzz(func(t *testing.T, next []byte, mobile string, id int64) {
		filters := customerFilterJSON{Mobile: mobile, IDs: []int64{id}}
		body, err := listBody(EndpointCustomerList, filters, next)
		if err != nil {
			require.False(t, json.Valid(next))
			return
		}
		require.True(t, json.Valid(body), "%s", body)
		var got struct {
			Filters   customerFilterJSON `json:"filters"`
			Paginator struct {
				Size int             `json:"size"`
				Next json.RawMessage `json:"next"`
			} `json:"paginator"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		require.Equal(t, PageSize, got.Paginator.Size)
		require.Equal(t, []int64{id}, got.Filters.IDs)
		if !isEmptyJSON(next) {
			// The cursor is written verbatim, whitespace included.
			require.True(t, bytes.HasSuffix(body, []byte(`,"next":`+string(next)+`}}`)), "%s", body)
			require.Equal(t, string(bytes.TrimSpace(next)), string(got.Paginator.Next))
		}
	})
}

func TestDepotStocksIDs(t *testing.T) {
	t.Parallel()
	var d depotStocks
	require.ErrorIs(t, json.Unmarshal([]byte(`{"x":{"available":1}}`), &d), errMissingID)
	require.NoError(t, json.Unmarshal([]byte(`[{"id":3,"available":1},{"id":3,"available":2}]`), &d))
	require.Equal(t, depotStocks{extid.NhanhDepotID(3): 3}, d)
}
