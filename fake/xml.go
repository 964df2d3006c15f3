// This file holds the XML form of answers, for clients that ask for it.

package fake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"

	"strings"
)

// xmlContentType is the Content-Type of an XML answer, as RAM sends it.
const xmlContentType = "text/xml;charset=utf-8"

// jsonToXML renders a JSON answer of the fake as RAM's XML: the object's
// members become elements in their order, under root; an array member
// repeats its element once per item, as in <Roles><Role>…</Role><Role>…</Role></Roles>.
func jsonToXML(root string, body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var b bytes.Buffer
	b.WriteString(xml.Header[:len(xml.Header)-1])
	if err := xmlValue(dec, &b, root); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// xmlValue reads one JSON value from dec and writes it as element name.
func xmlValue(dec *json.Decoder, b *bytes.Buffer, name string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			b.WriteString("<" + name + ">")
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				if err := xmlValue(dec, b, kt.(string)); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			b.WriteString("</" + name + ">")
		case '[':
			for dec.More() {
				if err := xmlValue(dec, b, name); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
		}
	case nil:
		b.WriteString("<" + name + "/>")
	default:
		var s string
		switch v := t.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		case bool:
			if v {
				s = "true"
			} else {
				s = "false"
			}
		}
		b.WriteString("<" + name + ">")
		if err := xml.EscapeText(b, []byte(s)); err != nil {
			return err
		}
		b.WriteString("</" + name + ">")
	}
	return nil
}

// acceptsXML reports whether a V3 request's Accept header asks for XML
// rather than JSON (the default).
func acceptsXML(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json", "*/*", "":
			return false
		case "application/xml", "text/xml":
			return true
		}
	}
	return false
}
