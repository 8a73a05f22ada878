package engine

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SettingSpec declares a setting that changes behaviour: the job families
// declare theirs (the engine stores, validates and audits them).
type SettingSpec struct {
	Key  string
	Help string
	// Default is the value in force while the setting is unset.
	Default string
	// Validate checks an operator's value and returns it as stored
	// (trimmed, normalised), or an error saying what is wanted.
	Validate func(value string) (string, error)
}

// BoolSetting validates a true/false setting.
func BoolSetting(v string) (string, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("must be true or false, not %q", v)
	}
	return strconv.FormatBool(b), nil
}

// WholeNumberSetting validates a setting that is a whole number in [lo, hi].
func WholeNumberSetting(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be a whole number from %d to %d, not %q", lo, hi, v)
		}
		return strconv.FormatInt(n, 10), nil
	}
}

// Setting is a setting with its value in force.
type Setting struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Default string `json:"default"`
	// Set says an operator set it; otherwise Value is the default.
	Set       bool       `json:"set"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	Help      string     `json:"help"`
}

// UnknownSettingError names a setting that does not exist.
type UnknownSettingError struct {
	Key   string
	Valid []string
}

func (e *UnknownSettingError) Error() string {
	return fmt.Sprintf("unknown setting %q; settings: %s", e.Key, strings.Join(e.Valid, ", "))
}

// Settings lists every declared setting with its value in force, by key.
func (e *Engine) Settings(ctx context.Context) ([]Setting, error) {
	out := make([]Setting, 0, len(e.cfg.Settings))
	for _, spec := range e.cfg.Settings {
		s := Setting{Key: spec.Key, Value: spec.Default, Default: spec.Default, Help: spec.Help}
		v, ok, err := e.store.Setting(ctx, e.store.Reader(), spec.Key)
		if err != nil {
			return nil, err
		}
		if ok {
			s.Value, s.Set = v, true
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// SetSetting validates and stores a setting, audited with the actor. A
// value refused by the setting's validation is a *ParamError.
func (e *Engine) SetSetting(ctx context.Context, key, value string, actor Actor) error {
	if err := actor.Authorize("set setting " + key); err != nil {
		return err
	}
	var spec *SettingSpec
	var keys []string
	for i := range e.cfg.Settings {
		keys = append(keys, e.cfg.Settings[i].Key)
		if e.cfg.Settings[i].Key == strings.TrimSpace(key) {
			spec = &e.cfg.Settings[i]
		}
	}
	if spec == nil {
		sort.Strings(keys)
		return &UnknownSettingError{Key: key, Valid: keys}
	}
	v := strings.TrimSpace(value)
	if spec.Validate != nil {
		var err error
		if v, err = spec.Validate(v); err != nil {
			return &ParamError{Type: "setting", Param: spec.Key, Reason: err.Error()}
		}
	}
	now := e.clock.Now()
	return FromStore(e.store.InTx(ctx, func(tx *sql.Tx) error {
		old, ok, err := e.store.Setting(ctx, tx, spec.Key)
		if err != nil {
			return err
		}
		if !ok {
			old = spec.Default + " (default)"
		}
		if err := e.store.SetSetting(ctx, tx, spec.Key, v, now); err != nil {
			return err
		}
		return e.audit(ctx, tx, actor, "setting.set", 0, fmt.Sprintf("%s: %s -> %s", spec.Key, old, v), now)
	}))
}
