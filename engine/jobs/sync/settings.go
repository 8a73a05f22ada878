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
			Validate: engine.WholeNumberSetting(0, 1<<53)},
		{Key: SettingDropBrakePercent, Default: strconv.Itoa(int(DefaultDropShare * 100)),
			Help: "percent of a customer sync's writes that may drop by more than half (or to 0) before the run " +
				"stops unwritten; 100 turns the brake off (acceptDrop overrides it for one run)",
			Validate: engine.WholeNumberSetting(0, 100)},
		{Key: SettingInventoryActivate, Default: "false",
			Help: "true: a product sync stocks an item at a mapped location where Shopify does not stock it " +
				"(inventoryActivate) and writes its quantity; false: that location is skipped with a reason",
			Validate: engine.BoolSetting},
		{Key: SettingBulkWriteThreshold, Default: strconv.Itoa(DefaultBulkWriteThreshold),
			Help: "smallest number of mappings in a customer sync's scope written through Shopify bulk " +
				"mutations instead of paced metafieldsSet calls",
			Validate: engine.WholeNumberSetting(1, 1<<31)},
		{Key: SettingProductBulkWriteThreshold, Default: strconv.Itoa(DefaultProductBulkWriteThreshold),
			Help: "smallest number of mappings in a product sync's scope whose stock is written through Shopify bulk " +
				"mutations of inventorySetQuantities instead of paced calls",
			Validate: engine.WholeNumberSetting(1, 1<<31)},
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
