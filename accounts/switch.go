package accounts

import "time"

// ProtocolChange records one switch of an account between POP3 and IMAP, made by the
// switch assistant (backup/service) after every message was verified at its
// destination. The list is the account's memory of where its mail used to live.
type ProtocolChange struct {
	From   Protocol  `json:"from"`
	To     Protocol  `json:"to"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	// Host and Username are the server and login before the switch.
	Host     string `json:"host"`
	Username string `json:"username"`
	// BackupDir is the POP3 backup folder an account left behind when it became IMAP:
	// Postfach only reads it from then on (browse, verify) and never deletes it.
	BackupDir string `json:"backup_dir,omitempty"`
	// CopyDir is where the mail of an IMAP account was downloaded before it became POP3.
	CopyDir string `json:"copy_dir,omitempty"`
}
