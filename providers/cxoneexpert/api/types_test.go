package api_test

import (
	"encoding/xml"
	"testing"

	"github.com/onboardhq/onboard/providers/cxoneexpert/api"
)

// batman is the documented sample response (seeds/cxone-expert-users-post.txt).
const batman = `<?xml version="1.0"?>
<user id="3" href="http://192.168.168.110/@api/deki/users/3">
  <nick>Batman</nick>
  <username>Batman</username>
  <email>alfred@batcave.com</email>
  <hash.email>d46d8fa3b6c7af9b1794aa260b38a89e</hash.email>
  <date.created>2010-01-04T22:55:32Z</date.created>
  <page.home id="41" href="http://192.168.168.110/@api/deki/pages/41?redirects=0"><title>User:Batman</title></page.home>
  <fullname>I am the Batman</fullname>
  <status>active</status>
  <service.authentication id="1" href="http://192.168.168.110/@api/deki/site/services/1"/>
  <permissions.user>
    <operations mask="1343">LOGIN,BROWSE,READ,SUBSCRIBE,UPDATE,CREATE,DELETE,CHANGEPERMISSIONS</operations>
    <role id="4" href="http://192.168.168.110/@api/deki/site/roles/4">Contributor</role>
  </permissions.user>
  <groups/>
  <properties href="http://192.168.168.110/@api/deki/users/3/properties"/>
</user>`

func TestUserAnswers(t *testing.T) {
	tests := []struct {
		name, body   string
		id, username string
		ok           bool
	}{
		{"documented sample", batman, "3", "Batman", true},
		{"minimal", `<user id="12"><username>jane doe@home</username></user>`, "12", "jane doe@home", true},
		{"no id", `<user><username>x</username></user>`, "", "x", true},
		{"error document", `<error><status>409</status><title>Conflict</title><message>Username conflicts with an existing username</message></error>`, "", "", false},
		{"html", `<html><body>portal</body></html>`, "", "", false},
		{"empty", ``, "", "", false},
	}
	for _, tt := range tests {
		var u api.User
		err := xml.Unmarshal([]byte(tt.body), &u)
		if (err == nil) != tt.ok || u.ID != tt.id || u.Username != tt.username {
			t.Errorf("%s: %+v %v", tt.name, u, err)
		}
		if tt.name == "documented sample" && (u.Permissions == nil || u.Permissions.Role.Name != "Contributor" || u.Permissions.Operations.Mask != 1343) {
			t.Errorf("sample permissions: %+v", u.Permissions)
		}
	}
}

func TestErrorAnswers(t *testing.T) {
	var e api.Error
	if err := xml.Unmarshal([]byte(`<error><status>409</status><title>Conflict</title><message>Username conflicts with an existing username</message></error>`), &e); err != nil ||
		e.Status != "409" || e.Title != "Conflict" || e.Message != "Username conflicts with an existing username" {
		t.Fatalf("%+v %v", e, err)
	}
	if err := xml.Unmarshal([]byte(`<user id="1"/>`), &e); err == nil {
		t.Fatal("a user document read as an error")
	}
}
