package cli_test

import (
	"strconv"

	"gopkg.in/yaml.v3"

	"syncops/engine/locations"
)

type locationID = locations.LocationID

func yamlUnmarshal(b []byte, v any) error { return yaml.Unmarshal(b, v) }

func jsonNumber(n int64) string { return strconv.FormatInt(n, 10) }
