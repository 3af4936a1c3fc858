package main

import (
	"context"
	"fmt"
	"time"

	"fishpond"
)

func init() {
	commands["logistics"] = command{"logistics sweep (carrier, late parcels, orders) and half-year metrics", runLogistics}
}

const logisticsUsage = "usage: fishpond logistics sweep|metrics [--db URL] [--period 2020H1]"

func runLogistics(ctx context.Context, args []string) error {
	if done, err := subcommand(args, logisticsUsage, "sweep", "metrics"); done {
		return err
	}
	var c commonFlags
	switch args[0] {
	case "sweep":
		fs := newFlags("logistics sweep", "[--db URL]", "Once: record what the carrier reports about parcels it holds, raise alerts for\nlate parcels, and confirm delivery in the marketplace for orders whose parcels were\nall picked up (serve does this every minute).")
		c.register(fs)
		a, err := c.parseOpen(ctx, fs, args[1:])
		if err != nil {
			return err
		}
		defer a.Close()
		ev, late, orders, err := sweepLogistics(ctx, a)
		fmt.Printf("carrier events %d, late alerts %d, orders confirmed %d\n", ev, late, orders)
		return err
	default:
		fs := newFlags("logistics metrics", "--period 2020H1 [--db URL]", "Print the half-year report's logistics figures: parcels sent from poverty counties,\nwarehouses and stations in poverty counties, the highest station, the on-time rate.")
		c.register(fs)
		period := fs.String("period", "", "half-year, e.g. 2020H1 (required)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		p, err := fishpond.ParsePeriod(*period)
		if err != nil {
			fs.Usage()
			return errUsage
		}
		a, err := c.open(ctx, nil)
		if err != nil {
			return err
		}
		defer a.Close()
		m, err := a.Logistics.PeriodMetrics(ctx, p)
		if err != nil {
			return err
		}
		fmt.Printf("period %s\nparcels sent %d (from poverty counties %d), delivered %d\n", m.Period, m.ParcelsSent, m.ParcelsSentPoverty, m.Delivered)
		fmt.Printf("warehouses %d (in poverty counties %d), stations %d (in poverty counties %d), poverty counties served %d\n",
			m.Warehouses, m.WarehousesPoverty, m.Stations, m.StationsPoverty, m.PovertyCountiesServed)
		if h := m.HighestStation; h != nil {
			fmt.Printf("highest station %s (%s) at %d m\n", h.Name, h.County, h.AltitudeM)
		}
		if bp, ok := m.OnTimeBp(); ok {
			fmt.Printf("on time %d of %d arrived (%d.%02d%%)\n", m.OnTime, m.Arrived, bp/100, bp%100)
		} else {
			fmt.Println("on time: not measured (nothing arrived in the period)")
		}
		return nil
	}
}

func sweepLogistics(ctx context.Context, a *app) (carrierEvents, late, orders int, err error) {
	if carrierEvents, err = a.Logistics.SyncCarrier(ctx); err != nil {
		return
	}
	if late, err = a.Logistics.CheckLate(ctx); err != nil {
		return
	}
	orders, err = a.Logistics.SyncOrders(ctx)
	return
}

// logisticsSweep runs sweepLogistics every minute until ctx ends.
func logisticsSweep(ctx context.Context, a *app) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ev, late, orders, err := sweepLogistics(ctx, a)
			if err != nil {
				a.Log.Error("logistics sweep", "err", err)
			} else if ev+late+orders > 0 {
				a.Log.Info("logistics sweep", "carrier_events", ev, "late_alerts", late, "orders_confirmed", orders)
			}
		}
	}
}
