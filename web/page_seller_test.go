package web_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestSellerListsProductWithPhotoAndBuyerGrabsFlashSale: the cooperative's manager
// lists a product with a photo from the dashboard; a bad photo is refused; a buyer
// takes the demo flash sale at its price.
func TestSellerListsProductWithPhotoAndBuyerGrabsFlashSale(t *testing.T) {
	srv, _, _ := demoServer(t)
	coop := login(t, srv.URL, "coop", "fishpond-demo")
	_, body := page(t, coop, "GET", srv.URL+"/seller", nil)
	shop := regexp.MustCompile(`name="shop" value="([^"]+)"`).FindStringSubmatch(body)
	if shop == nil || !strings.Contains(body, "骆驼湾小米合作社") {
		t.Fatal("the seller dashboard does not show the cooperative's shop")
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"shop": shop[1], "name": "阜平香菇 1斤", "category": "菌菇", "unit": "袋", "price": "19.90", "stock": "50", "batch": "FP-XG-2021-03", "harvest": "2021-03-20"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("photo", "xianggu.png")
	fw.Write(img.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/seller/products", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := coop.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	photo := regexp.MustCompile(`src="(/products/[^"]+/photos/[^"]+)"`).FindStringSubmatch(string(b))
	if res.StatusCode != 200 || !strings.Contains(string(b), "阜平香菇") || photo == nil {
		t.Fatalf("new product page: %d, photo %v\n%s", res.StatusCode, photo, regexp.MustCompile(`(?s)<main>.*</main>`).FindString(string(b)))
	}
	if res, err := http.Get(srv.URL + photo[1]); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("photo: %v %v", err, res)
	}
	productID := strings.Split(photo[1], "/")[2]
	req, _ = http.NewRequest("POST", srv.URL+"/api/v1/products/"+productID+"/photos", strings.NewReader("<html>not an image</html>"))
	if res, _ := coop.Do(req); res.StatusCode != 400 {
		t.Fatalf("an HTML 'photo' was accepted: %d", res.StatusCode)
	}

	buyer := login(t, srv.URL, "consumer", "fishpond-demo")
	_, body = page(t, buyer, "GET", srv.URL+"/shop?q="+url.QueryEscape("小米"), nil)
	pm := regexp.MustCompile(`href="/products/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	_, body = page(t, buyer, "GET", srv.URL+"/products/"+pm[1], nil)
	flash := regexp.MustCompile(`name="flash" value="([^"]+)"`).FindStringSubmatch(body)
	if flash == nil {
		t.Fatal("the product page shows no flash sale")
	}
	page(t, buyer, "POST", srv.URL+"/cart", url.Values{"product": {pm[1]}, "flash": {flash[1]}, "qty": {"1"}})
	if _, body = page(t, buyer, "GET", srv.URL+"/cart", nil); !strings.Contains(body, "29.90") {
		t.Fatal("the cart does not charge the flash price 29.90")
	}
}
