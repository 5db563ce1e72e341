/*
 * The capsule's network interface. Every capsule has the same address behind its own host-side
 * namespace (docs/guest-protocol.md section 9), so a template's saved network state is right for
 * every clone: the guest is configured once, at boot, and only its MAC changes per clone (INIT).
 */
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define NET_IF "eth0"
#define GUEST_ADDR "169.254.0.21"
#define GUEST_MASK "255.255.255.252"
#define GATEWAY_ADDR "169.254.0.22"

static void set_addr(struct sockaddr *sa, const char *ip)
{
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof *in);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &in->sin_addr);
}

static int if_ioctl(int s, unsigned long req, struct ifreq *ifr, const char *what)
{
    if (ioctl(s, req, ifr) == 0)
        return 0;
    logmsg("%s %s: %s", NET_IF, what, strerror(errno));
    return -1;
}

static int link_up(int s)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, NET_IF);
    if (if_ioctl(s, SIOCGIFFLAGS, &ifr, "flags"))
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return if_ioctl(s, SIOCSIFFLAGS, &ifr, "up");
}

static int default_route(int s)
{
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    set_addr(&rt.rt_dst, "0.0.0.0");
    set_addr(&rt.rt_genmask, "0.0.0.0");
    set_addr(&rt.rt_gateway, GATEWAY_ADDR);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = (char *)NET_IF;
    if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
        logmsg("default route via " GATEWAY_ADDR ": %s", strerror(errno));
        return -1;
    }
    return 0;
}

void net_up(void)
{
    struct ifreq ifr;
    if (if_nametoindex(NET_IF) == 0)
        return;   /* a VM without a NIC (an older device layout) */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, NET_IF);
    set_addr(&ifr.ifr_addr, GUEST_ADDR);
    if (if_ioctl(s, SIOCSIFADDR, &ifr, "address") == 0) {
        set_addr(&ifr.ifr_netmask, GUEST_MASK);
        if_ioctl(s, SIOCSIFNETMASK, &ifr, "netmask");
    }
    if (link_up(s) == 0)
        default_route(s);
    close(s);
}

int net_set_mac(const uint8_t mac[6])
{
    struct ifreq ifr;
    int err = 0;
    if (if_nametoindex(NET_IF) == 0)
        return 0;   /* nothing sees a MAC here */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, NET_IF);
    /* a resumed capsule is told the MAC it has: no change, so no link bounce on the way back */
    if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0 && memcmp(ifr.ifr_hwaddr.sa_data, mac, 6) == 0) {
        close(s);
        return 0;
    }
    ifr.ifr_hwaddr.sa_family = 1;   /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
    if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
        /* a driver that cannot change it while up: down, change, up, and the route again */
        struct ifreq flags;
        memset(&flags, 0, sizeof flags);
        snprintf(flags.ifr_name, sizeof flags.ifr_name, NET_IF);
        if (ioctl(s, SIOCGIFFLAGS, &flags) == 0) {
            flags.ifr_flags &= ~IFF_UP;
            ioctl(s, SIOCSIFFLAGS, &flags);
        }
        if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0)
            err = errno;
        link_up(s);
        default_route(s);
    }
    close(s);
    return err;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly "aa:bb:cc:dd:ee:ff", a unicast address (sscanf would let signs and spaces through). */
int parse_mac(const char *text, uint8_t mac[6])
{
    if (strlen(text) != 17)
        return -1;
    for (int i = 0; i < 6; i++) {
        const char *p = text + 3 * i;
        int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return (mac[0] & 1) ? -1 : 0;   /* multicast */
}
