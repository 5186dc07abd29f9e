package scheduler

import "time"

// Clock is the scheduler's time source. Tests pass a fake they advance by hand.
type Clock interface {
	// Now returns the current time in the user's local time zone: its location is
	// the wall clock every schedule, "next run" and overdue decision is read on.
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now(), which is in time.Local.
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
