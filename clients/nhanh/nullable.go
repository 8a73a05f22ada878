package nhanh

import "bytes"

// optFloat is a number that may be missing or null. Nhanh sends null (or
// leaves the field out) for values it does not know, and a sync must not
// read that as 0: writing 0 over a real spend or stock is data loss.
type optFloat struct {
	V     flexFloat
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler. A missing field never calls
// it, so Valid stays false; null and "" leave it false too.
func (o *optFloat) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); string(t) == "null" || string(t) == `""` {
		*o = optFloat{}
		return nil
	}
	if err := o.V.UnmarshalJSON(b); err != nil {
		return err
	}
	o.Valid = true
	return nil
}

// optQty is a stock quantity that may be missing or null.
type optQty struct {
	V     flexQty
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *optQty) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); string(t) == "null" || string(t) == `""` {
		*o = optQty{}
		return nil
	}
	if err := o.V.UnmarshalJSON(b); err != nil {
		return err
	}
	o.Valid = true
	return nil
}
