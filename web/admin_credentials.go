package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// maxPEM bounds an uploaded certificate or key file.
const maxPEM = 64 << 10

type adminCredentialsData struct {
	adminChrome
	Status   GraphCredentialStatus
	ClientID string // the form's, kept after an error
	Type     string // secret or certificate
}

func (x *ui) adminCredentials(w http.ResponseWriter, r *http.Request) error {
	return x.renderCredentials(w, r, "", "secret", "", http.StatusOK)
}

func (x *ui) renderCredentials(w http.ResponseWriter, r *http.Request, clientID, typ, errMsg string, status int) error {
	v := visitorFrom(r.Context())
	st, err := x.Admin.Credentials.CredentialStatus(r.Context(), v.p)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Microsoft Graph credential", "credentials")
	chrome.Error = errMsg
	if clientID == "" {
		clientID = st.ClientID
	}
	p.Data = adminCredentialsData{adminChrome: chrome, Status: st, ClientID: clientID, Type: typ}
	p.Status = status
	return x.render(w, "admincredentials", p)
}

// adminSetCredential stores a new credential. Nothing typed or uploaded
// is ever shown back: after an error only the client id is kept.
func (x *ui) adminSetCredential(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	in := GraphCredentialInput{ClientID: strings.TrimSpace(r.PostFormValue("clientId"))}
	typ := r.PostFormValue("type")
	var err error
	switch typ {
	case "secret":
		in.ClientSecret = strings.TrimSpace(r.PostFormValue("clientSecret"))
		if in.ClientSecret == "" {
			err = governance.Errorf(governance.KindInvalid, "graph_secret_missing", "type the client secret, or choose a certificate instead")
		}
	case "certificate":
		var cert, key string
		if cert, err = pemUpload(r, "certificate"); err == nil {
			if key, err = pemUpload(r, "key"); err == nil {
				in.CertificatePEM = strings.TrimSpace(cert) + "\n" + strings.TrimSpace(key) + "\n"
			}
		}
		if err == nil && strings.TrimSpace(in.CertificatePEM) == "" {
			err = governance.Errorf(governance.KindInvalid, "graph_certificate_missing",
				"choose the PEM file with the certificate (and its private key, in the same file or the second one)")
		}
	default:
		err = governance.Errorf(governance.KindInvalid, "graph_credential_type_invalid", "choose a client secret or a certificate")
	}
	if err == nil {
		err = x.Admin.Credentials.SetCredential(r.Context(), v.p, in)
	}
	if err != nil {
		if msg, status, ok := x.formRefusal(r, err); ok {
			return x.renderCredentials(w, r, in.ClientID, typ, msg, status)
		}
		return err
	}
	http.Redirect(w, r, "/admin/credentials?done=credential-saved", http.StatusSeeOther)
	return nil
}

// pemUpload reads an optional uploaded PEM file ("" when none was chosen).
func pemUpload(r *http.Request, field string) (string, error) {
	f, _, err := r.FormFile(field)
	if err == http.ErrMissingFile {
		return "", nil
	}
	if err != nil {
		return "", governance.Errorf(governance.KindInvalid, "upload_invalid", "the form could not be read; choose the file again and send it")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEM+1))
	if err != nil || len(b) > maxPEM {
		return "", governance.Errorf(governance.KindInvalid, "graph_pem_too_large", "a certificate or key file has at most 64 KB: choose the PEM file")
	}
	return string(b), nil
}
