package green

// ExifJPEG lets the package's external tests build geo-tagged photos.
var ExifJPEG = exifJPEG
