package farms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// MaxDocumentBytes bounds an uploaded contract document (a scanned, signed PDF).
const MaxDocumentBytes = 10 << 20

// documentTypes are the accepted formats by sniffed content, never the file name.
var documentTypes = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

// Document is an uploaded contract document's metadata; the bytes live under
// Config.FileDir, named by their SHA-256.
type Document struct {
	ID          string
	ContractID  string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	path        string
	CreatedAt   time.Time
}

// AddDocument stores a signed contract (PDF, JPEG or PNG, at most 10 MB) for the
// cooperative's manager. The file is written before the row, so a crash leaves at
// most an unreferenced file.
func (s *Service) AddDocument(ctx context.Context, p fishpond.Principal, contractID, filename string, r io.Reader) (Document, error) {
	filename = strings.TrimSpace(filepath.Base(filename))
	if filename == "" || filename == "." || utf8.RuneCountInString(filename) > 100 {
		filename = "contract"
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return Document{}, fishpond.Invalid("读取文件失败 could not read the file", map[string]string{"file": "读取失败 read failed"})
	}
	switch {
	case len(b) == 0:
		return Document{}, fishpond.Invalid("文件为空 empty file", map[string]string{"file": "必填 required"})
	case len(b) > MaxDocumentBytes:
		return Document{}, fishpond.Invalid("文件太大 file too large", map[string]string{"file": "最大10MB at most 10 MB"})
	}
	ct := http.DetectContentType(b)
	ext, ok := documentTypes[ct]
	if !ok {
		return Document{}, fishpond.Invalid("文件格式不支持 unsupported file type", map[string]string{"file": "须为 PDF、JPEG 或 PNG must be PDF, JPEG or PNG"})
	}
	c, err := loadContract(ctx, s.db.Read(), contractID, false)
	if err != nil {
		return Document{}, err
	}
	if _, err := managedCoop(ctx, s.db.Read(), p, c.CoopID, false); err != nil {
		return Document{}, err
	}
	sum := sha256.Sum256(b)
	d := Document{ID: newID(), ContractID: c.ID, Filename: filename, ContentType: ct, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	d.path = filepath.Join("contracts", d.SHA256[:2], d.SHA256+ext)
	if err := writeFile(filepath.Join(s.cfg.FileDir, d.path), b); err != nil {
		return Document{}, fishpond.Internal(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		d.CreatedAt = s.now()
		_, err := tx.ExecContext(ctx, `INSERT INTO farms_documents (id, contract_id, filename, content_type, size, sha256, path, uploaded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.ContractID, d.Filename, d.ContentType, d.Size, d.SHA256, d.path, p.UserID, db.FormatTime(d.CreatedAt))
		return internal(err)
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

// Documents lists a contract's documents for whoever may see the contract.
func (s *Service) Documents(ctx context.Context, p fishpond.Principal, contractID string) ([]Document, error) {
	if _, err := s.Contract(ctx, p, contractID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, contract_id, filename, content_type, size, sha256, path, created_at FROM farms_documents WHERE contract_id = ? ORDER BY created_at, id", contractID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		var at string
		if err := rows.Scan(&d.ID, &d.ContractID, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &d.path, &at); err != nil {
			return nil, internal(err)
		}
		d.CreatedAt = db.MustTime(at)
		out = append(out, d)
	}
	return out, internal(rows.Err())
}

// DocumentFile returns a document and the path of its bytes, for whoever may see
// its contract.
func (s *Service) DocumentFile(ctx context.Context, p fishpond.Principal, id string) (Document, string, error) {
	var contractID string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT contract_id FROM farms_documents WHERE id = ?", id).Scan(&contractID); err != nil {
		return Document{}, "", db.NotFound(err, "没有该文件 no such document")
	}
	docs, err := s.Documents(ctx, p, contractID)
	if err != nil {
		return Document{}, "", err
	}
	for _, d := range docs {
		if d.ID == id {
			return d, filepath.Join(s.cfg.FileDir, d.path), nil
		}
	}
	return Document{}, "", notFound("没有该文件 no such document")
}
