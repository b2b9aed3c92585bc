package core

import "unicode/utf8"

// BusinessIdentifier names a merchant: Scheme such as "business:NO:ORG"
// (10-30 characters) and ID such as "987654325" (4-50 digits or '-').
// salesunit and users re-export it by alias: one type, never a second copy.
type BusinessIdentifier struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// Check refuses an empty or malformed identifier; field is how the caller wrote it.
func (b BusinessIdentifier) Check(field string) error {
	if b == (BusinessIdentifier{}) {
		return Invalid(field, "is required")
	}
	if err := CheckRequired(field+".Scheme", b.Scheme); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(b.Scheme); n < 10 || n > 30 {
		return Invalid(field+".Scheme", "must be 10-30 characters (such as business:NO:ORG), got %q", b.Scheme)
	}
	if err := CheckRequired(field+".ID", b.ID); err != nil {
		return err
	}
	if len(b.ID) < 4 || len(b.ID) > 50 {
		return Invalid(field+".ID", "must be 4-50 digits or '-', got %q", b.ID)
	}
	for i := 0; i < len(b.ID); i++ {
		if c := b.ID[i]; (c < '0' || c > '9') && c != '-' {
			return Invalid(field+".ID", "must be 4-50 digits or '-', got %q", b.ID)
		}
	}
	return nil
}
