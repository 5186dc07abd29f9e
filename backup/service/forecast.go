package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// Bounds of the quota history: one reading per half hour at most, for four weeks.
const (
	readingGap     = 30 * time.Minute
	readingsKept   = 4 * 7 * 24 * 2
	forecastWindow = 14 * 24 * time.Hour
	// A forecast needs this many readings over this long a time, so that a burst of
	// mail on one afternoon does not predict a full mailbox.
	forecastMinReadings = 4
	forecastMinSpan     = 12 * time.Hour
	// Further out than this the trend is flat for all practical purposes.
	forecastMaxDays = 3650
)

// QuotaReading is one quota poll: when, and the storage used and allowed, in bytes.
type QuotaReading struct {
	At    time.Time `json:"at"`
	Used  int64     `json:"used"`
	Limit int64     `json:"limit"`
}

// Forecast says when an IMAP mailbox will be full if it keeps growing as it did.
type Forecast struct {
	// Days until full from the newest reading, and the date that is.
	Days float64
	Full time.Time
	// PerDay is the growth in bytes per day.
	PerDay float64
}

func readingsPath(stateDir, id string) string {
	return filepath.Join(stateDir, id+".quota.json")
}

// QuotaReadings returns an account's stored quota readings, oldest first.
func (s *Service) QuotaReadings(id string) ([]QuotaReading, error) {
	data, err := os.ReadFile(readingsPath(s.store.StateDir(), id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("quota readings: %w", err)
	}
	var rs []QuotaReading
	if err := json.Unmarshal(data, &rs); err != nil {
		// Readings only feed a forecast: start afresh rather than fail the quota poll.
		return nil, nil
	}
	return rs, nil
}

// recordQuota adds a reading to the account's quota history (in the state folder,
// bounded). A reading within readingGap of the last one replaces it, so polls on
// demand do not crowd out the hourly ones.
func (s *Service) recordQuota(id string, r QuotaReading) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.QuotaReadings(id)
	if err != nil {
		return err
	}
	rs = addReading(rs, r)
	data, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("quota readings: %w", err)
	}
	if err := os.MkdirAll(s.store.StateDir(), 0o700); err != nil {
		return fmt.Errorf("quota readings: %w", err)
	}
	return atomicfile.WriteFile(readingsPath(s.store.StateDir(), id), data, 0o600)
}

// addReading appends r, replacing a last reading less than readingGap older, and
// keeps the newest readingsKept.
func addReading(rs []QuotaReading, r QuotaReading) []QuotaReading {
	if n := len(rs); n > 0 && r.At.Sub(rs[n-1].At) < readingGap {
		rs = rs[:n-1]
	}
	rs = append(rs, r)
	if len(rs) > readingsKept {
		rs = rs[len(rs)-readingsKept:]
	}
	return rs
}

// QuotaForecast returns when the account's mailbox will be full at its recent rate of
// growth, or nil when there is no such date: too few readings, no limit, a flat or
// shrinking trend.
func (s *Service) QuotaForecast(id string) (*Forecast, error) {
	rs, err := s.QuotaReadings(id)
	if err != nil {
		return nil, err
	}
	return forecast(rs), nil
}

// forecast fits a straight line (least squares) through the readings of the last
// forecastWindow and extends it to the newest reading's limit.
func forecast(rs []QuotaReading) *Forecast {
	if len(rs) == 0 {
		return nil
	}
	last := rs[len(rs)-1]
	var win []QuotaReading
	for _, r := range rs {
		if last.At.Sub(r.At) <= forecastWindow && r.Limit > 0 {
			win = append(win, r)
		}
	}
	if len(win) < forecastMinReadings || last.Limit <= 0 || last.At.Sub(win[0].At) < forecastMinSpan {
		return nil
	}
	// x in days since the first reading of the window, y in bytes.
	var sx, sy, sxx, sxy float64
	for _, r := range win {
		x := r.At.Sub(win[0].At).Hours() / 24
		y := float64(r.Used)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	n := float64(len(win))
	den := n*sxx - sx*sx
	if den == 0 {
		return nil
	}
	slope := (n*sxy - sx*sy) / den
	if slope <= 0 || math.IsNaN(slope) {
		return nil
	}
	left := float64(last.Limit - last.Used)
	days := left / slope
	if left <= 0 {
		days = 0
	}
	if days > forecastMaxDays {
		return nil
	}
	return &Forecast{Days: days, Full: last.At.Add(time.Duration(days * 24 * float64(time.Hour))), PerDay: slope}
}
