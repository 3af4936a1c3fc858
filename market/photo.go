package market

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"fishpond"
	"fishpond/internal/db"
)

// MaxPhotoBytes bounds an uploaded product photo: phones on rural networks load
// the pages, and the data directory is not a file host.
const MaxPhotoBytes = 5 << 20

// photoTypes are the accepted formats by sniffed content (never the file name or
// the client's claim), with the extension the file is stored under.
var photoTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// Photo is a stored product photo's metadata; the bytes live in Config.PhotoDir.
type Photo struct {
	ID          string
	ProductID   string
	ContentType string
	Size        int64
	SHA256      string
	Path        string // relative to PhotoDir
}

// CheckPhoto reads at most MaxPhotoBytes+1 bytes and returns them with their
// sniffed content type, rejecting anything that is not JPEG, PNG or WebP or is too
// big, so a disguised file never reaches the data directory.
func CheckPhoto(r io.Reader) ([]byte, string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return nil, "", fishpond.Invalid("读取图片失败 could not read the photo", map[string]string{"photo": err.Error()})
	}
	if len(b) > MaxPhotoBytes {
		return nil, "", fishpond.Invalid("图片太大 photo too large", map[string]string{"photo": "最大5MB at most 5 MB"})
	}
	if len(b) == 0 {
		return nil, "", fishpond.Invalid("图片为空 empty photo", map[string]string{"photo": "必填 required"})
	}
	ct := http.DetectContentType(b)
	if _, ok := photoTypes[ct]; !ok {
		return nil, "", fishpond.Invalid("图片格式不支持 unsupported photo type", map[string]string{"photo": "须为 JPEG、PNG 或 WebP must be JPEG, PNG or WebP"})
	}
	return b, ct, nil
}

// AddPhoto validates and stores a photo of a product the principal sells. The file
// is named by its SHA-256 and written before the row, so a crash leaves at most an
// unreferenced file, never a row without its file.
func (s *Store) AddPhoto(ctx context.Context, p fishpond.Principal, productID string, r io.Reader) (Photo, error) {
	b, ct, err := CheckPhoto(r)
	if err != nil {
		return Photo{}, err
	}
	sum := sha256.Sum256(b)
	ph := Photo{ID: newID(), ProductID: productID, ContentType: ct, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
	ph.Path = filepath.Join("products", ph.SHA256[:2], ph.SHA256+photoTypes[ct])
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var shopID string
		if err := tx.QueryRowContext(ctx, "SELECT shop_id FROM market_products WHERE id = ?", productID).Scan(&shopID); err != nil {
			return db.NotFound(err, "没有该商品 no such product")
		}
		if _, err := s.sellerShop(ctx, tx, p, shopID); err != nil {
			return notFound("没有该商品 no such product")
		}
		if err := writeFile(filepath.Join(s.cfg.PhotoDir, ph.Path), b); err != nil {
			return fishpond.Internal(err)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO market_photos (id, product_id, content_type, size, sha256, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			ph.ID, ph.ProductID, ph.ContentType, ph.Size, ph.SHA256, ph.Path, db.FormatTime(s.now()))
		return internal(err)
	})
	if err != nil {
		return Photo{}, err
	}
	return ph, nil
}

// writeFile writes atomically (temp file, sync, rename); identical content is
// already there under the same name.
func writeFile(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".photo-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if werr != nil || serr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fishpond.Internal(firstErr(werr, serr, cerr))
	}
	return os.Rename(tmp.Name(), path)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Photos lists a product's photos in upload order, for product pages.
func (s *Store) Photos(ctx context.Context, productID string) ([]Photo, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, product_id, content_type, size, sha256, path FROM market_photos WHERE product_id = ? ORDER BY id", productID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		var ph Photo
		if err := rows.Scan(&ph.ID, &ph.ProductID, &ph.ContentType, &ph.Size, &ph.SHA256, &ph.Path); err != nil {
			return nil, internal(err)
		}
		out = append(out, ph)
	}
	return out, rows.Err()
}

// PhotoFile opens a stored photo's bytes for web to serve.
func (s *Store) PhotoFile(ph Photo) (*os.File, error) {
	return os.Open(filepath.Join(s.cfg.PhotoDir, filepath.Clean(ph.Path)))
}
