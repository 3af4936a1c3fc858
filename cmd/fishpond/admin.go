package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"fishpond"
	"fishpond/access"
)

func runMigrate(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("migrate", "[--db URL]", "Apply every pending migration (each in its own transaction) and print the schema version.")
	c.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, os.Stdout) // migrate reports each migration it applies
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("schema version %d (%s)\n", v, a.DB.Dialect)
	return nil
}

func runUser(ctx context.Context, args []string) error {
	if done, err := subcommand(args, fmt.Sprint("usage: fishpond user add --name N --role R [--county CODE[,CODE]] [--household ID] --password-stdin\n       fishpond user list\n\nroles: ", fishpond.Roles), "add", "list"); done {
		return err
	}
	if args[0] == "list" {
		var c commonFlags
		fs := newFlags("user list", "[--db URL]", "List users with their roles and counties.")
		c.register(fs)
		a, err := c.parseOpen(ctx, fs, args[1:])
		if err != nil {
			return err
		}
		defer a.Close()
		us, err := a.Access.Users(ctx, fishpond.System)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCOUNTIES\tDISABLED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", u.Name, u.Role, strings.Join(u.Counties, ","), u.Disabled)
		}
		return tw.Flush()
	}
	var c commonFlags
	fs := newFlags("user add", "--name N --role R [--county CODE] --password-stdin", "Add a user. The password is read from standard input (first line) so it never appears in the process list or shell history.\nRoles: admin, fund_admin, county_officer, coop_manager, household, consumer, partner, auditor.")
	c.register(fs)
	name := fs.String("name", "", "login name")
	display := fs.String("display-name", "", "name shown in pages (default: login name)")
	role := fs.String("role", "", "role")
	county := fs.String("county", "", "county code(s), comma separated, for county-scoped roles")
	household := fs.String("household", "", "household id, for the household role")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input (required)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if !*stdin {
		return fmt.Errorf("--password-stdin is required: pipe the password in, e.g. echo \"$PW\" | fishpond user add … --password-stdin")
	}
	pw, err := readLine(os.Stdin)
	if err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	var counties []string
	for _, s := range strings.Split(*county, ",") {
		if s = strings.TrimSpace(s); s != "" {
			counties = append(counties, s)
		}
	}
	u, err := a.Access.CreateUser(ctx, fishpond.System, access.NewUser{Name: *name, DisplayName: *display, Role: fishpond.Role(*role), Counties: counties, HouseholdID: *household, Password: pw})
	if err != nil {
		return err
	}
	fmt.Printf("added user %s (%s) id %s\n", u.Name, u.Role, u.ID)
	return nil
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runToken(ctx context.Context, args []string) error {
	if done, err := subcommand(args, "usage: fishpond token create --user NAME [--label L] [--ttl 720h]", "create"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("token create", "--user NAME [--label L] [--ttl DURATION]", "Create an API token for a user. The token is printed once, alone on the last line; only its hash is stored.")
	c.register(fs)
	user := fs.String("user", "", "login name of the token's user")
	label := fs.String("label", "cli", "label to tell tokens apart")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h (0: no expiry)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("--user is required")
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	plain, t, err := a.Access.CreateToken(ctx, fishpond.System, *user, *label, *ttl)
	if err != nil {
		return err
	}
	exp := "never"
	if t.ExpiresAt != nil {
		exp = t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(os.Stderr, "token %s for %s (expires %s):\n", t.ID, *user, exp)
	fmt.Println(plain)
	return nil
}

func runBackup(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("backup", "[--db URL] DEST", "Write a consistent copy of the running SQLite database to DEST (which must not exist).\nSafe while the server runs. Restore: stop the server, copy DEST over the database file\n(removing any -wal and -shm files beside it), start again. For PostgreSQL use pg_dump.")
	c.register(fs)
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	if err := a.DB.Backup(ctx, pos[0]); err != nil {
		return err
	}
	st, _ := os.Stat(pos[0])
	size := int64(0)
	if st != nil {
		size = st.Size()
	}
	fmt.Printf("backup written to %s (%d bytes, %s)\n", pos[0], size, time.Since(start).Round(time.Millisecond))
	return nil
}
