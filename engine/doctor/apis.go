package doctor

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/serverclock"
	"syncops/clients/shopify"
	"syncops/engine/nhanhtoken"
)

// nhanhChecks checks the credentials, business, token and depots.
func (r *run) nhanhChecks() {
	if r.d.Nhanh == nil {
		why := "Nhanh is not configured"
		if r.d.NhanhErr != nil {
			why += ": " + r.d.NhanhErr.Error()
		}
		r.fail(CheckNhanhCredentials, why, "run `syncops init`, or set the SYNCOPS_NHANH_* settings")
		r.nhanhDown = "Nhanh is not configured"
		for _, n := range []string{CheckNhanhBusiness, CheckNhanhToken, CheckNhanhDepots} {
			r.notChecked(n, r.nhanhDown)
		}
		return
	}
	if r.d.NhanhSecretKey != "" {
		g, err := r.d.Nhanh.CheckAccessToken(r.ctx, r.d.NhanhSecretKey)
		if err == nil {
			r.grant = &g
			r.d.Token.Set(g.ExpiresAt)
		} else if !r.nhanhRefused(err) {
			return
		}
	}
	r.depots, r.depotsErr = r.d.Nhanh.Depots(r.ctx)
	if r.grant == nil && r.depotsErr != nil && !r.nhanhRefused(r.depotsErr) {
		return
	}
	if r.nhanhDown != "" {
		return
	}
	r.ok(CheckNhanhCredentials, fmt.Sprintf("Nhanh answers app %s with the access token", r.d.Nhanh.AppID()))
	switch {
	case r.grant == nil:
		r.ok(CheckNhanhBusiness, "business "+r.d.Nhanh.BusinessID()+" accepts the token")
	case r.grant.BusinessID != "" && r.grant.BusinessID != r.d.Nhanh.BusinessID():
		r.fail(CheckNhanhBusiness, fmt.Sprintf("the token was granted by business %s, not the configured %s",
			r.grant.BusinessID, r.d.Nhanh.BusinessID()), "set SYNCOPS_NHANH_BUSINESS_ID="+r.grant.BusinessID)
	default:
		r.ok(CheckNhanhBusiness, "the token belongs to business "+r.d.Nhanh.BusinessID())
	}
	r.tokenCheck()
	r.depotCheck()
}

// nhanhRefused turns a failed Nhanh call into the credentials check and the
// checks it stops; it reports whether the run may go on (it never may: the
// boolean keeps the call sites short).
func (r *run) nhanhRefused(err error) bool {
	var ae *apierr.Error
	code := ""
	if errors.As(err, &ae) {
		code = ae.Code
	}
	switch {
	case code == "ERR_INVALID_ACCESS_TOKEN":
		r.d.Token.Revoked()
		r.fail(CheckNhanhCredentials, "Nhanh refuses the access token: "+errText(err), r.d.Reauthorize)
		r.nhanhDown = "Nhanh refuses the token"
		r.notChecked(CheckNhanhBusiness, r.nhanhDown)
		st := r.d.Token.Status()
		r.fail(CheckNhanhToken, st.Message, st.Fix)
		r.notChecked(CheckNhanhDepots, r.nhanhDown)
		return false
	case code == "ERR_INVALID_BUSINESS_ID":
		r.ok(CheckNhanhCredentials, "Nhanh knows app "+r.d.Nhanh.AppID())
		r.fail(CheckNhanhBusiness, "Nhanh does not know business "+r.d.Nhanh.BusinessID()+" for this app",
			"set SYNCOPS_NHANH_BUSINESS_ID to the business that granted the token (`syncops init` prints it)")
	case code == "ERR_BUSINESS_NOT_ENABLE_API":
		r.fail(CheckNhanhCredentials, "the business has not turned on Open API connections",
			"in Nhanh, turn on \"Cho phép kết nối Open API\" for the business")
		r.notChecked(CheckNhanhBusiness, "Open API is off")
	case ae != nil && ae.Class == apierr.ClassAuth:
		r.fail(CheckNhanhCredentials, "Nhanh refuses the credentials: "+errText(err), "check SYNCOPS_NHANH_APP_ID and SYNCOPS_NHANH_SECRET_KEY, or run `syncops init`")
		r.notChecked(CheckNhanhBusiness, "Nhanh refuses the credentials")
	default:
		r.fail(CheckNhanhCredentials, "Nhanh did not answer: "+errText(err), "check SYNCOPS_NHANH_BASE_URL and the network, then try again")
		r.notChecked(CheckNhanhBusiness, "Nhanh did not answer")
	}
	r.nhanhDown = "Nhanh did not accept the call"
	r.notChecked(CheckNhanhToken, r.nhanhDown)
	r.notChecked(CheckNhanhDepots, r.nhanhDown)
	return false
}

func (r *run) tokenCheck() {
	st := r.d.Token.Status()
	switch st.Level {
	case nhanhtoken.LevelOK:
		r.ok(CheckNhanhToken, st.Message)
	case nhanhtoken.LevelWarn:
		r.warn(CheckNhanhToken, st.Message, st.Fix)
	case nhanhtoken.LevelExpired:
		r.fail(CheckNhanhToken, st.Message, st.Fix)
	default:
		r.warn(CheckNhanhToken, st.Message,
			"set SYNCOPS_NHANH_SECRET_KEY so syncops can ask Nhanh, or run `syncops init`, which stores the expiry")
	}
}

func (r *run) depotCheck() {
	if r.depotsErr != nil {
		fix := "check the network and try again"
		if apierr.ClassOf(r.depotsErr) == apierr.ClassAuth {
			fix = "grant the depot permission again: " + r.d.Reauthorize
		}
		r.fail(CheckNhanhDepots, "the depots cannot be listed: "+errText(r.depotsErr), fix)
		return
	}
	if len(r.depots) == 0 {
		r.fail(CheckNhanhDepots, "Nhanh lists no depot for the business", "create a depot in Nhanh, then grant access to it: "+r.d.Reauthorize)
		return
	}
	if r.grant == nil || r.grant.AllDepots() {
		r.ok(CheckNhanhDepots, plural(len(r.depots), "depot", "depots")+", all granted")
		return
	}
	var covered []string
	for _, d := range r.depots {
		if r.grant.Covers(d.ID) {
			covered = append(covered, fmt.Sprintf("%d (%s)", d.ID, d.Name))
		}
	}
	if len(covered) == 0 {
		r.fail(CheckNhanhDepots, fmt.Sprintf("the grant covers none of the business's %d depots (it names %v)", len(r.depots), r.grant.Depots),
			"grant access to the depots whose stock syncs: "+r.d.Reauthorize)
		return
	}
	msg := fmt.Sprintf("the grant covers %d of %d depots: %s; stock totals count only these", len(covered), len(r.depots), strings.Join(covered, ", "))
	if len(covered) < len(r.depots) {
		r.warn(CheckNhanhDepots, msg, "to sync the others, grant access to them: "+r.d.Reauthorize)
		return
	}
	r.ok(CheckNhanhDepots, msg)
}

// shopifyChecks checks the shop, the API version, the scopes and the
// metafield definition.
func (r *run) shopifyChecks() {
	names := []string{CheckShopifyAPIVersion, CheckShopifyScopes, CheckShopifyMetafield}
	if r.d.Shopify == nil {
		why := "Shopify is not configured"
		if r.d.ShopifyErr != nil {
			why += ": " + r.d.ShopifyErr.Error()
		}
		r.fail(CheckShopifyShop, why, "run `syncops init`, or set the SYNCOPS_SHOPIFY_* settings")
		r.shopDown = "Shopify is not configured"
		for _, n := range names {
			r.notChecked(n, r.shopDown)
		}
		return
	}
	sc := r.d.Shopify
	shop, err := sc.Shop(r.ctx)
	if err != nil {
		fix := "check SYNCOPS_SHOPIFY_SHOP, SYNCOPS_SHOPIFY_BASE_URL and the network"
		if apierr.ClassOf(err) == apierr.ClassAuth {
			fix = "check SYNCOPS_SHOPIFY_ACCESS_TOKEN: the app's Admin API token for " + sc.ShopDomain()
		}
		r.fail(CheckShopifyShop, "Shopify refuses or does not answer: "+errText(err), fix)
		r.shopDown = "Shopify did not answer"
		if apierr.ClassOf(err) == apierr.ClassNotFound {
			r.fail(CheckShopifyAPIVersion, "the shop does not serve Admin API version "+sc.APIVersion(),
				"set SYNCOPS_SHOPIFY_API_VERSION to a supported version (default "+shopify.DefaultAPIVersion+")")
			names = names[1:]
		}
		for _, n := range names {
			r.notChecked(n, r.shopDown)
		}
		return
	}
	r.ok(CheckShopifyShop, fmt.Sprintf("shop %q (%s) answers with the token", shop.Name, shop.Domain))
	r.apiVersion(sc.APIVersion())
	r.scopes()
	r.metafield()
}

func (r *run) apiVersion(v string) {
	released, err := time.Parse("2006-01", v)
	if err != nil {
		r.fail(CheckShopifyAPIVersion, "version "+v+" is not a release (YYYY-MM)", "set SYNCOPS_SHOPIFY_API_VERSION like "+shopify.DefaultAPIVersion)
		return
	}
	if v < shopify.MinAPIVersion {
		r.fail(CheckShopifyAPIVersion, "version "+v+" is older than "+shopify.MinAPIVersion+", whose inventory semantics syncops relies on",
			"set SYNCOPS_SHOPIFY_API_VERSION="+shopify.DefaultAPIVersion)
		return
	}
	if end := released.Add(r.d.APIVersionSupport); r.d.Clock.Now().After(end) {
		r.warn(CheckShopifyAPIVersion, fmt.Sprintf("version %s left Shopify's support around %s; Shopify answers with the oldest supported version instead",
			v, end.Format("2006-01")), "set SYNCOPS_SHOPIFY_API_VERSION to a current version")
		return
	}
	r.ok(CheckShopifyAPIVersion, "version "+v+" is served and supported")
}

func (r *run) scopes() {
	have, err := r.d.Shopify.AccessScopes(r.ctx)
	if err != nil {
		r.fail(CheckShopifyScopes, "the app's scopes cannot be read: "+errText(err), "check the token and try again")
		return
	}
	var missing []string
	for _, s := range RequiredScopes {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		r.fail(CheckShopifyScopes, "the app lacks the access scopes "+strings.Join(missing, ", "),
			"add them to the app's Admin API scopes in the Shopify admin, reinstall it, and set the new token")
		return
	}
	r.ok(CheckShopifyScopes, "the app has every scope syncops uses ("+strings.Join(RequiredScopes, ", ")+")")
}

func (r *run) metafield() {
	name := MetafieldNamespace + "." + MetafieldKey
	def, found, err := r.d.Shopify.FindMetafieldDefinition(r.ctx, metafieldOwnerType, MetafieldNamespace, MetafieldKey)
	switch {
	case err != nil:
		r.fail(CheckShopifyMetafield, "the customer metafield definitions cannot be read: "+errText(err), "check the token's scopes and try again")
	case found && def.Type == MetafieldType:
		r.ok(CheckShopifyMetafield, "customer metafield "+name+" is defined as "+MetafieldType)
	case found:
		r.fail(CheckShopifyMetafield, fmt.Sprintf("customer metafield %s is defined as %s, not %s; spend writes would be refused", name, def.Type, MetafieldType),
			"in the Shopify admin (Settings > Custom data > Customers), delete the "+name+" definition, then run `syncops doctor --fix`")
	case !r.fix:
		r.fail(CheckShopifyMetafield, "customer metafield "+name+" has no definition", "run `syncops doctor --fix` to create it as "+MetafieldType)
	default:
		r.createDefinition(name)
	}
}

func (r *run) createDefinition(name string) {
	_, err := r.d.Shopify.CreateMetafieldDefinition(r.ctx, shopify.MetafieldDefinition{Name: metafieldDefinitionName,
		OwnerType: metafieldOwnerType, Namespace: MetafieldNamespace, Key: MetafieldKey, Type: MetafieldType})
	if err != nil {
		r.fail(CheckShopifyMetafield, "customer metafield "+name+" has no definition, and creating it failed: "+errText(err),
			"create it in the Shopify admin (Settings > Custom data > Customers) as Integer")
		return
	}
	detail := "created customer metafield definition " + name + " (" + MetafieldType + ")"
	c := r.add(CheckShopifyMetafield, StatusOK, detail, "")
	c.Fixed = true
	if err := r.audit("doctor.fix", detail); err != nil {
		c.Status, c.Message = StatusWarn, detail+", but the audit log could not record it: "+err.Error()
		c.Fix = "check the database"
	}
	r.d.Logger.InfoContext(r.ctx, "doctor fix", "actor", r.actor.String(), "change", detail)
}

// locations checks that every mapping joins an existing, granted depot to an
// existing, active location.
func (r *run) locations() {
	if r.d.Store == nil {
		r.notChecked(CheckLocations, "no database")
		return
	}
	maps, err := r.d.Store.LocationMappings(r.ctx, r.d.Store.Reader())
	if err != nil {
		r.notChecked(CheckLocations, "the mappings cannot be read: "+errText(err))
		return
	}
	if len(maps) == 0 {
		r.ok(CheckLocations, "no mappings: product syncs write the total stock at the primary location")
		return
	}
	if r.nhanhDown != "" || r.shopDown != "" || r.depotsErr != nil {
		r.notChecked(CheckLocations, "both APIs must answer")
		return
	}
	locs, err := r.d.Shopify.AllLocations(r.ctx)
	if err != nil {
		r.fail(CheckLocations, "Shopify's locations cannot be listed: "+errText(err), "check the read_locations scope and try again")
		return
	}
	byLoc := map[extid.ShopifyLocationGID]shopify.LocationState{}
	for _, l := range locs {
		byLoc[l.ID] = l
	}
	byDepot := map[extid.NhanhDepotID]nhanh.Depot{}
	for _, d := range r.depots {
		byDepot[d.ID] = d
	}
	var bad []string
	for _, m := range maps {
		l, okLoc := byLoc[m.LocationID]
		_, okDepot := byDepot[m.DepotID]
		switch {
		case !okDepot:
			bad = append(bad, fmt.Sprintf("depot %d (%s) no longer exists in Nhanh", m.DepotID, m.DepotName))
		case r.grant != nil && !r.grant.Covers(m.DepotID):
			bad = append(bad, fmt.Sprintf("depot %d (%s) is not in the token's grant", m.DepotID, m.DepotName))
		case !okLoc:
			bad = append(bad, fmt.Sprintf("location %s (%s) no longer exists in Shopify", m.LocationID, m.LocationName))
		case !l.Active:
			bad = append(bad, fmt.Sprintf("location %s (%s) is inactive", m.LocationID, l.Name))
		}
	}
	if len(bad) > 0 {
		r.fail(CheckLocations, strings.Join(bad, "; "),
			"remap with `syncops locations set DEPOT LOCATION` or remove with `syncops locations rm DEPOT`; grant missing depots: "+r.d.Reauthorize)
		return
	}
	r.ok(CheckLocations, plural(len(maps), "mapping joins", "mappings join")+" existing, granted depots to active locations")
}

// clocks compares our clock with the Date headers the APIs sent.
func (r *run) clocks() {
	r.skew(CheckClockNhanh, "Nhanh", r.d.NhanhDate, r.nhanhDown == "" && r.d.Nhanh != nil)
	r.skew(CheckClockShopify, "Shopify", r.d.ShopifyDate, r.shopDown == "" && r.d.Shopify != nil)
}

func (r *run) skew(name, api string, rec *serverclock.Recorder, answered bool) {
	if rec == nil || !answered {
		r.notChecked(name, api+" did not answer")
		return
	}
	d, ok := rec.Skew()
	if !ok {
		r.warn(name, api+"'s replies carry no Date header", "")
		return
	}
	abs := d
	if abs < 0 {
		abs = -abs
	}
	dir := "ahead of"
	if d < 0 {
		dir = "behind"
	}
	msg := fmt.Sprintf("%s's clock is %s %s ours", api, abs.Round(time.Second), dir)
	fix := "synchronise this machine's clock (e.g. enable NTP with `timedatectl set-ntp true`)"
	switch {
	case abs >= r.d.MaxSkew:
		r.fail(name, msg, fix)
	case abs >= r.d.WarnSkew:
		r.warn(name, msg, fix)
	default:
		r.ok(name, msg)
	}
}
