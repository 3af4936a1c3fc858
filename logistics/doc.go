// Package logistics moves produce out of the village: county warehouses and village
// stations (a registered household may run a station and is paid per parcel as wage
// income), parcels created when a marketplace order ships or a farmer drops one off,
// planned route legs with expected times, tracking events kept in event-time order
// whatever order they arrive in, carriers behind an interface (with a sandbox
// carrier), six-digit pickup codes with limited attempts, cold-chain temperature
// readings, late-parcel alerts and the figures the half-year report counts.
//
// It drives the marketplace through market's exported API: shipping an order
// creates its parcels, and picking up the last parcel with the right code confirms
// delivery, which settles the order into the producers' income. market knows
// nothing of logistics.
package logistics
