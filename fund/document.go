package fund

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// MaxDocument bounds a supporting document (a scanned contract, an invoice, a
// list of recipients): large enough for a phone photo or a PDF, small enough to
// keep in the database.
const MaxDocument = 5 << 20

// Document is a supporting document of a disbursement; Content only from
// DocumentContent.
type Document struct {
	ID             string    `json:"id"`
	DisbursementID string    `json:"disbursement_id"`
	Filename       string    `json:"filename"`
	ContentType    string    `json:"content_type"`
	Size           int64     `json:"size"`
	SHA256         string    `json:"sha256"`
	UploadedBy     string    `json:"uploaded_by"`
	UploadedAt     time.Time `json:"uploaded_at"`
}

// AttachDocument stores a supporting document for a disbursement. The content
// type is sniffed from the bytes, never trusted from the client. The same file
// attached twice returns the first copy.
func (s *Service) AttachDocument(ctx context.Context, p fishpond.Principal, disbursementID, filename string, content []byte) (Document, error) {
	if !canManage(p) {
		return Document{}, forbidden("只有基金管理员可以上传证明材料 / only fund administrators may attach documents")
	}
	filename = filepath.Base(strings.ReplaceAll(strings.TrimSpace(filename), "\\", "/"))
	f := map[string]string{}
	if filename == "" || filename == "." || filename == "/" || tooLong(filename, 200) {
		f["filename"] = "必填，最长200字 / required, at most 200 characters"
	}
	if len(content) == 0 || len(content) > MaxDocument {
		f["file"] = "文件须非空且不超过5MB / the file must be non-empty and at most 5 MB"
	}
	if len(f) > 0 {
		return Document{}, fishpond.Invalid("证明材料有误 / invalid document", f)
	}
	sum := sha256.Sum256(content)
	doc := Document{ID: newID(), DisbursementID: disbursementID, Filename: filename, ContentType: http.DetectContentType(content),
		Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: p.UserID}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM fund_disbursements WHERE id = ?", disbursementID).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n == 0 {
			return notFound("拨付不存在 / disbursement not found")
		}
		prev, err := scanDocument(tx.QueryRowContext(ctx, "SELECT "+documentColumns+" WHERE disbursement_id = ? AND sha256 = ?", disbursementID, doc.SHA256))
		if err == nil {
			doc = prev
			return nil
		}
		now := s.now()
		doc.UploadedAt = now
		_, err = tx.ExecContext(ctx, `INSERT INTO fund_documents (id, disbursement_id, filename, content_type, size, sha256, content, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, doc.ID, disbursementID, doc.Filename, doc.ContentType, doc.Size, doc.SHA256, content, doc.UploadedBy, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return db.Retry(err) // the same file attached at the same moment: return that copy
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	return doc, nil
}

const documentColumns = "id, disbursement_id, filename, content_type, size, sha256, uploaded_by, uploaded_at FROM fund_documents"

func scanDocument(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var at string
	err := sc.Scan(&d.ID, &d.DisbursementID, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &d.UploadedBy, &at)
	if err == nil {
		d.UploadedAt = db.MustTime(at)
	}
	return d, err
}

// Documents lists a disbursement's supporting documents.
func (s *Service) Documents(ctx context.Context, p fishpond.Principal, disbursementID string) ([]Document, error) {
	if !canRead(p) {
		return nil, forbidden("无权查看基金 / not allowed to see the fund")
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+documentColumns+" WHERE disbursement_id = ? ORDER BY uploaded_at, id", disbursementID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DocumentContent returns a document with its bytes.
func (s *Service) DocumentContent(ctx context.Context, p fishpond.Principal, id string) (Document, []byte, error) {
	if !canRead(p) {
		return Document{}, nil, notFound("材料不存在 / document not found")
	}
	var content []byte
	var d Document
	var at string
	err := s.db.Read().QueryRowContext(ctx, "SELECT id, disbursement_id, filename, content_type, size, sha256, uploaded_by, uploaded_at, content FROM fund_documents WHERE id = ?", id).
		Scan(&d.ID, &d.DisbursementID, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &d.UploadedBy, &at, &content)
	if err != nil {
		return Document{}, nil, db.NotFound(err, "材料不存在 / document not found")
	}
	d.UploadedAt = db.MustTime(at)
	return d, content, nil
}
