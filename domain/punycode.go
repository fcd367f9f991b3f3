package domain

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Punycode (RFC 3492 section 6), the encoding of an IDN label's A-label
// after "xn--".
const (
	punyBase        = 36
	punyTMin        = 1
	punyTMax        = 26
	punySkew        = 38
	punyDamp        = 700
	punyInitialBias = 72
	punyInitialN    = 128
)

var errPunyOverflow = errors.New("overflow")

func punyAdapt(delta, numPoints int32, first bool) int32 {
	if first {
		delta /= punyDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := int32(0)
	for delta > ((punyBase-punyTMin)*punyTMax)/2 {
		delta /= punyBase - punyTMin
		k += punyBase
	}
	return k + (punyBase-punyTMin+1)*delta/(delta+punySkew)
}

func punyDigit(d int32) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punyThreshold(k, bias int32) int32 {
	t := k - bias
	switch {
	case t < punyTMin:
		return punyTMin
	case t > punyTMax:
		return punyTMax
	}
	return t
}

// punyEncode encodes a label (RFC 3492 6.3).
func punyEncode(s string) (string, error) {
	var out strings.Builder
	runes := []rune(s)
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out.WriteByte(byte(r))
		}
	}
	b := int32(out.Len())
	h := b
	if b > 0 {
		out.WriteByte('-')
	}
	n, delta, bias := int32(punyInitialN), int32(0), int32(punyInitialBias)
	for h < int32(len(runes)) {
		m := int32(0x7fffffff)
		for _, r := range runes {
			if r >= n && r < m {
				m = r
			}
		}
		if (m - n) > (0x7fffffff-delta)/(h+1) {
			return "", errPunyOverflow
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			if r < n {
				delta++
				if delta < 0 {
					return "", errPunyOverflow
				}
			}
			if r != n {
				continue
			}
			q := delta
			for k := int32(punyBase); ; k += punyBase {
				t := punyThreshold(k, bias)
				if q < t {
					break
				}
				out.WriteByte(punyDigit(t + (q-t)%(punyBase-t)))
				q = (q - t) / (punyBase - t)
			}
			out.WriteByte(punyDigit(q))
			bias = punyAdapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return out.String(), nil
}

// punyDecode decodes a label (RFC 3492 6.2).
func punyDecode(s string) (string, error) {
	var out []rune
	pos := 0
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		for _, c := range []byte(s[:i]) {
			if c >= utf8.RuneSelf {
				return "", errors.New("not ASCII")
			}
			out = append(out, rune(c))
		}
		pos = i + 1
	}
	n, i, bias := int32(punyInitialN), int32(0), int32(punyInitialBias)
	for pos < len(s) {
		oldi, w := i, int32(1)
		for k := int32(punyBase); ; k += punyBase {
			if pos >= len(s) {
				return "", errors.New("truncated")
			}
			d, ok := punyValue(s[pos])
			pos++
			if !ok {
				return "", errors.New("bad digit")
			}
			if d > (0x7fffffff-i)/w {
				return "", errPunyOverflow
			}
			i += d * w
			t := punyThreshold(k, bias)
			if d < t {
				break
			}
			if w > 0x7fffffff/(punyBase-t) {
				return "", errPunyOverflow
			}
			w *= punyBase - t
		}
		x := int32(len(out) + 1)
		bias = punyAdapt(i-oldi, x, oldi == 0)
		if i/x > 0x7fffffff-n {
			return "", errPunyOverflow
		}
		n += i / x
		i %= x
		if n > utf8.MaxRune || len(out) >= 63 {
			return "", errors.New("out of range")
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = n
		i++
	}
	return string(out), nil
}

func punyValue(c byte) (int32, bool) {
	switch {
	case c >= 'a' && c <= 'z':
		return int32(c - 'a'), true
	case c >= 'A' && c <= 'Z':
		return int32(c - 'A'), true
	case c >= '0' && c <= '9':
		return int32(c-'0') + 26, true
	}
	return 0, false
}
