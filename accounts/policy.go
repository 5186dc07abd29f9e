package accounts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BackupPolicy says where and when a POP3 account is backed up and what happens to the
// mail on the server afterwards.
type BackupPolicy struct {
	// Dir is the backup folder: a standard Maildir plus Postfach's index.
	Dir       string    `json:"dir"`
	Schedule  Schedule  `json:"schedule"`
	Retention Retention `json:"retention"`
}

// Validate checks the policy.
func (p *BackupPolicy) Validate() error {
	var errs []error
	if strings.TrimSpace(p.Dir) == "" {
		errs = append(errs, errors.New("a POP3 account needs a backup folder"))
	}
	if err := p.Schedule.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := p.Retention.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RetentionMode says what happens to a message on the server once it is safely backed up.
type RetentionMode string

// Retention modes. Deletion always waits until the local copy is durable and re-verified.
const (
	KeepForever RetentionMode = "keep"
	DeleteAfter RetentionMode = "delete-after-days"
	DeleteNow   RetentionMode = "delete-after-backup"
)

// DefaultKeepDays is how long mail stays on the server after its backup unless the user
// says otherwise: long enough for a phone to see it, short enough to keep the quota free.
const DefaultKeepDays = 14

// Retention is the server-side retention policy of a POP3 account.
type Retention struct {
	Mode RetentionMode `json:"mode"`
	// Days applies to DeleteAfter: a message is deleted from the server this many days
	// after Postfach first backed it up.
	Days int `json:"days,omitempty"`
}

// DefaultRetention is "delete from the server 14 days after a verified backup".
func DefaultRetention() Retention { return Retention{Mode: DeleteAfter, Days: DefaultKeepDays} }

// Validate checks the retention policy.
func (r Retention) Validate() error {
	switch r.Mode {
	case KeepForever, DeleteNow:
		return nil
	case DeleteAfter:
		if r.Days < 1 || r.Days > 3650 {
			return fmt.Errorf("keep-days must be between 1 and 3650, not %d", r.Days)
		}
		return nil
	default:
		return fmt.Errorf("unknown retention %q", r.Mode)
	}
}

// String describes the policy for logs and the CLI.
func (r Retention) String() string {
	switch r.Mode {
	case DeleteAfter:
		return fmt.Sprintf("delete from server %d days after backup", r.Days)
	case DeleteNow:
		return "delete from server right after backup"
	default:
		return "keep on server"
	}
}

// ScheduleKind is how often backups run.
type ScheduleKind string

// Schedule kinds.
const (
	Off    ScheduleKind = "off"
	Hourly ScheduleKind = "every" // every N hours
	Daily  ScheduleKind = "daily"
	Weekly ScheduleKind = "weekly"
)

// Schedule says when backups are due. Its text form (ParseSchedule, String) is what the
// CLI takes: "off", "every 6h", "daily 02:30", "weekly mon 02:30".
type Schedule struct {
	Kind    ScheduleKind `json:"kind"`
	Hours   int          `json:"hours,omitempty"`   // Hourly: every N hours
	Minute  int          `json:"minute,omitempty"`  // Daily/Weekly: minutes after midnight, local time
	Weekday time.Weekday `json:"weekday,omitempty"` // Weekly
}

// DefaultSchedule is a daily backup in the early afternoon, when a desktop PC is
// most likely switched on.
func DefaultSchedule() Schedule { return Schedule{Kind: Daily, Minute: 13 * 60} }

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseSchedule parses the text form of a schedule.
func ParseSchedule(s string) (Schedule, error) {
	f := strings.Fields(strings.ToLower(s))
	bad := fmt.Errorf("schedule %q: use off, \"every Nh\", \"daily HH:MM\" or \"weekly mon HH:MM\"", s)
	switch {
	case len(f) == 1 && f[0] == "off":
		return Schedule{Kind: Off}, nil
	case len(f) == 2 && f[0] == "every":
		n, err := strconv.Atoi(strings.TrimSuffix(f[1], "h"))
		if err != nil || !strings.HasSuffix(f[1], "h") {
			return Schedule{}, bad
		}
		sc := Schedule{Kind: Hourly, Hours: n}
		return sc, sc.Validate()
	case len(f) == 2 && f[0] == "daily":
		m, err := parseClock(f[1])
		if err != nil {
			return Schedule{}, bad
		}
		return Schedule{Kind: Daily, Minute: m}, nil
	case len(f) == 3 && f[0] == "weekly":
		wd, ok := weekdays[f[1]]
		m, err := parseClock(f[2])
		if !ok || err != nil {
			return Schedule{}, bad
		}
		return Schedule{Kind: Weekly, Weekday: wd, Minute: m}, nil
	}
	return Schedule{}, bad
}

// String returns the text form ParseSchedule accepts.
func (s Schedule) String() string {
	clock := fmt.Sprintf("%02d:%02d", s.Minute/60, s.Minute%60)
	switch s.Kind {
	case Hourly:
		return fmt.Sprintf("every %dh", s.Hours)
	case Daily:
		return "daily " + clock
	case Weekly:
		return fmt.Sprintf("weekly %s %s", strings.ToLower(s.Weekday.String()[:3]), clock)
	default:
		return "off"
	}
}

// Validate checks the schedule's numbers.
func (s Schedule) Validate() error {
	switch s.Kind {
	case Off:
	case Hourly:
		if s.Hours < 1 || s.Hours > 24*7 {
			return fmt.Errorf("every %dh: hours must be between 1 and 168", s.Hours)
		}
	case Daily, Weekly:
		if s.Minute < 0 || s.Minute >= 24*60 || s.Weekday < time.Sunday || s.Weekday > time.Saturday {
			return fmt.Errorf("schedule %s: time of day out of range", s)
		}
	default:
		return fmt.Errorf("unknown schedule kind %q", s.Kind)
	}
	return nil
}

// Due reports whether a backup is due at now, given the time of the last successful run
// (zero if none). A run missed while the PC was off is due at once (catch-up).
//
// The schedule is read on the wall clock of now's location, which callers pass as local
// time; last may be in any location (the run history keeps UTC) and is converted first,
// or "daily 13:00" would mean 13:00 UTC.
func (s Schedule) Due(last, now time.Time) bool {
	if s.Kind == Off {
		return false
	}
	if last.IsZero() {
		return true
	}
	return !now.Before(s.Next(last.In(now.Location())))
}

// Next returns the first scheduled time strictly after t, read on the wall clock of t's
// location. Schedules are meant in local time, so callers convert first
// (t.In(time.Local), or the location of their clock's now): a time from the run history
// is in UTC. For Off it returns the zero time.
func (s Schedule) Next(t time.Time) time.Time {
	switch s.Kind {
	case Hourly:
		return t.Add(time.Duration(s.Hours) * time.Hour)
	case Daily, Weekly:
		// Compare wall clocks, not instants: on the night the clocks go back, 02:30
		// happens twice, and a run at the first one must not be due again at the second.
		y, mo, d := t.Date()
		day := d
		if t.Hour()*60+t.Minute() >= s.Minute {
			day++
		}
		for {
			at := time.Date(y, mo, day, s.Minute/60, s.Minute%60, 0, 0, t.Location())
			if s.Kind == Daily || at.Weekday() == s.Weekday {
				return at
			}
			day++
		}
	default:
		return time.Time{}
	}
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return hh*60 + mm, nil
}
