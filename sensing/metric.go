package sensing

import "slices"

// Metric is one measured quantity with the physical range a working sensor can
// report; values outside it are rejected as out of range, not stored.
type Metric struct {
	Name     string
	Unit     string
	Min, Max float64
	Label    string // "中文 / English"
}

// Metrics are the quantities Fishpond knows.
var Metrics = map[string]Metric{
	"soil_moisture": {"soil_moisture", "%", 0, 100, "土壤湿度 / Soil moisture"},
	"soil_temp":     {"soil_temp", "°C", -30, 60, "土壤温度 / Soil temperature"},
	"air_temp":      {"air_temp", "°C", -50, 60, "气温 / Air temperature"},
	"humidity":      {"humidity", "%", 0, 100, "湿度 / Humidity"},
	"rain":          {"rain", "mm", 0, 500, "降雨 / Rain"},
	"barn_temp":     {"barn_temp", "°C", -40, 60, "舍内温度 / Barn temperature"},
	"ammonia":       {"ammonia", "ppm", 0, 200, "氨气 / Ammonia"},
	"hive_weight":   {"hive_weight", "kg", 0, 200, "蜂箱重量 / Hive weight"},
	"hive_temp":     {"hive_temp", "°C", -20, 60, "蜂箱温度 / Hive temperature"},
}

// DeviceTypes lists what each device type measures. A gateway measures nothing:
// it relays the readings of the sensors attached to it.
var DeviceTypes = map[string][]string{
	"soil":    {"soil_moisture", "soil_temp"},
	"weather": {"air_temp", "humidity", "rain"},
	"barn":    {"barn_temp", "humidity", "ammonia"},
	"hive":    {"hive_weight", "hive_temp"},
	"gateway": nil,
}

// siteDeviceTypes says which device types belong on which kind of site.
var siteDeviceTypes = map[string][]string{
	"field": {"soil", "weather", "gateway"},
	"barn":  {"barn", "gateway"},
	"hive":  {"hive", "weather", "gateway"},
}

// SiteKinds are the kinds of site.
var SiteKinds = []string{"field", "barn", "hive"}

func measures(deviceType, metric string) bool {
	return slices.Contains(DeviceTypes[deviceType], metric)
}
