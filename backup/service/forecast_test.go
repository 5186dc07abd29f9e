package service

import (
	"math"
	"testing"
	"time"
)

// TestForecast: the fit gives the rate, the newest reading the distance to the limit;
// no forecast without a clear upward trend over enough readings.
func TestForecast(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	const mb = 1 << 20
	// series returns n readings every step hours, growing by perDay bytes a day.
	series := func(n int, step float64, start, perDay, limit int64) []QuotaReading {
		var rs []QuotaReading
		for i := 0; i < n; i++ {
			h := float64(i) * step
			rs = append(rs, QuotaReading{At: t0.Add(time.Duration(h * float64(time.Hour))),
				Used: start + int64(float64(perDay)*h/24), Limit: limit})
		}
		return rs
	}
	noisy := series(48, 1, 800*mb, 10*mb, 1000*mb)
	for i := range noisy {
		noisy[i].Used += int64((i%3)-1) * mb / 2
	}
	cases := []struct {
		name string
		rs   []QuotaReading
		days float64 // -1: no forecast
	}{
		{"none", nil, -1},
		{"too few", series(3, 1, 500*mb, 100*mb, 1000*mb), -1},
		{"too short a span", series(10, 1, 500*mb, 100*mb, 1000*mb), -1},
		{"flat", series(48, 1, 500*mb, 0, 1000*mb), -1},
		{"shrinking", series(48, 1, 500*mb, -5*mb, 1000*mb), -1},
		{"no limit", series(48, 1, 500*mb, 10*mb, 0), -1},
		{"steady growth", series(48, 1, 500*mb, 10*mb, 1000*mb), (1000 - 500 - 10*47.0/24) / 10},
		{"noisy growth", noisy, (1000 - 800 - 10*47.0/24) / 10},
		{"beyond ten years", series(48, 1, 0, 1000, 1000*mb), -1},
		{"already full", series(48, 1, 1000*mb, 10*mb, 1000*mb), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := forecast(tc.rs)
			switch {
			case tc.days < 0 && f != nil:
				t.Fatalf("forecast %+v, want none", f)
			case tc.days < 0:
			case f == nil:
				t.Fatalf("no forecast, want %.1f days", tc.days)
			case math.Abs(f.Days-tc.days) > 0.3:
				t.Fatalf("%.2f days, want %.2f", f.Days, tc.days)
			}
		})
	}
}

// TestAddReading: the history is bounded, and a poll on demand replaces a recent one.
func TestAddReading(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var rs []QuotaReading
	for i := 0; i < readingsKept+10; i++ {
		rs = addReading(rs, QuotaReading{At: t0.Add(time.Duration(i) * time.Hour), Used: int64(i)})
	}
	if len(rs) != readingsKept || rs[0].Used != 10 {
		t.Fatalf("kept %d, first %d", len(rs), rs[0].Used)
	}
	rs = addReading(rs, QuotaReading{At: rs[len(rs)-1].At.Add(5 * time.Minute), Used: 99999})
	if len(rs) != readingsKept || rs[len(rs)-1].Used != 99999 {
		t.Fatalf("a reading on demand did not replace the last: %d %+v", len(rs), rs[len(rs)-1])
	}
}
