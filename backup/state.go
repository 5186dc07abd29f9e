package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// historyLen is how many runs the history keeps per account.
const historyLen = 30

// accountState is what Postfach remembers about an account's backups outside the backup
// folder (so that it survives the folder disappearing): which folder identity it wrote to,
// and the recent runs.
type accountState struct {
	Dir     string   `json:"dir"`
	StoreID string   `json:"store_id"`
	History []Result `json:"history"`
	// Suspect are stored files (base names) Verify found changed; the next run re-hashes
	// them and downloads the messages again where the server still has them.
	Suspect []string `json:"suspect,omitempty"`
}

// History returns the recent runs of an account, oldest first.
func History(stateDir, accountID string) ([]Result, error) {
	st, err := loadState(stateDir, accountID)
	if err != nil {
		return nil, err
	}
	return st.History, nil
}

// LastSuccess returns the start time of the newest successful run in a history, or the
// zero time.
func LastSuccess(history []Result) time.Time {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].OK() {
			return history[i].Started
		}
	}
	return time.Time{}
}

func statePath(stateDir, accountID string) string {
	return filepath.Join(stateDir, accountID+".json")
}

func loadState(stateDir, accountID string) (*accountState, error) {
	st := &accountState{}
	if stateDir == "" {
		return st, nil
	}
	data, err := os.ReadFile(statePath(stateDir, accountID))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup state: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		// The state is a convenience (history, the folder's identity); the backup folder
		// itself is self-describing. Set the damaged file aside and start afresh rather
		// than block every future backup.
		path := statePath(stateDir, accountID)
		if rerr := os.Rename(path, path+".damaged-"+time.Now().UTC().Format("20060102T150405")); rerr != nil {
			return nil, fmt.Errorf("backup state %s is damaged (%v) and could not be set aside: %w", path, err, rerr)
		}
		return &accountState{}, nil
	}
	return st, nil
}

// updateState re-reads the account's state, applies change and writes it back, so that
// what another process wrote in the meantime (a Verify, a run of the same account that
// held the folder lock) is kept.
func updateState(stateDir, accountID string, change func(*accountState)) error {
	if stateDir == "" {
		return nil
	}
	st, err := loadState(stateDir, accountID)
	if err != nil {
		return err
	}
	change(st)
	return saveState(stateDir, accountID, st)
}

func saveState(stateDir, accountID string, st *accountState) error {
	if stateDir == "" {
		return nil
	}
	if len(st.History) > historyLen {
		st.History = st.History[len(st.History)-historyLen:]
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("backup state: %w", err)
	}
	return atomicfile.WriteFile(statePath(stateDir, accountID), append(data, '\n'), 0o600)
}
