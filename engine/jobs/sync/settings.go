package sync

import (
	"context"
	"fmt"
	"strconv"

	"syncops/engine"
)

// SettingDropBrakePercent is the share (whole percent) of a run's writes
// that may drop sharply before the drop brake stops the run.
const SettingDropBrakePercent = "drop_brake_percent"

// Settings are the sync family's settings.
func Settings() []engine.SettingSpec {
	return []engine.SettingSpec{
		{Key: SettingCustomerThreshold, Default: strconv.Itoa(DefaultCustomerThreshold),
			Help:     "smallest change of lifetime spend (VND) an auto-sync pushes; smaller changes are left as they are",
			Validate: wholeNumber(0, 1<<53)},
		{Key: SettingDropBrakePercent, Default: strconv.Itoa(int(DefaultDropShare * 100)),
			Help: "percent of a customer sync's writes that may drop by more than half (or to 0) before the run " +
				"stops unwritten; 100 turns the brake off (acceptDrop overrides it for one run)",
			Validate: wholeNumber(0, 100)},
		{Key: SettingInventoryActivate, Default: "false",
			Help: "true: a product sync stocks an item at a mapped location where Shopify does not stock it " +
				"(inventoryActivate) and writes its quantity; false: that location is skipped with a reason",
			Validate: boolean},
	}
}

// boolean accepts true or false.
func boolean(v string) (string, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return "", fmt.Errorf("must be true or false, not %q", v)
	}
	return strconv.FormatBool(b), nil
}

// wholeNumber accepts a whole number in [lo, hi].
func wholeNumber(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be a whole number from %d to %d, not %q", lo, hi, v)
		}
		return strconv.FormatInt(n, 10), nil
	}
}

// dropShare reads the drop brake's share of writes.
func (d Deps) dropShare(ctx context.Context) (float64, error) {
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), SettingDropBrakePercent)
	if err != nil || !ok || text == "" {
		return DefaultDropShare, err
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("setting %s is %q, not a whole percent from 0 to 100: fix it (default %d)",
			SettingDropBrakePercent, text, int(DefaultDropShare*100))
	}
	return float64(n) / 100, nil
}
