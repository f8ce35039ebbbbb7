// Built-in known answers (RFC 4493, NXP AN10922, NXP AN12196, MF2DLHx0 TMAC keys),
// the published values also found in test/fixtures/vectors/ev2-public.json.

export const BUILT_IN_VECTORS = {
  "cmac": [
    {
      "source": "RFC 4493 section 4",
      "key": "2B7E151628AED2A6ABF7158809CF4F3C",
      "msg": "",
      "cmac": "BB1D6929E95937287FA37D129B756746"
    },
    {
      "source": "RFC 4493 section 4",
      "key": "2B7E151628AED2A6ABF7158809CF4F3C",
      "msg": "6BC1BEE22E409F96E93D7E117393172A",
      "cmac": "070A16B46B4D4144F79BDD9DD04A287C"
    },
    {
      "source": "RFC 4493 section 4",
      "key": "2B7E151628AED2A6ABF7158809CF4F3C",
      "msg": "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411",
      "cmac": "DFA66747DE9AE63030CA32611497C827"
    }
  ],
  "diversify": [
    {
      "source": "NXP AN10922 2.2.1",
      "masterKey": "00112233445566778899AABBCCDDEEFF",
      "M": "04782E21801D803042F54E585020416275",
      "diversifiedKey": "A8DD63A3B89D54B37CA802473FDA9175"
    }
  ],
  "ev2_auth_first": [
    {
      "source": "AN12196 AuthenticateEV2First key 0x00 (rev2.0 \u00a75.6 Table 14 / rev1.8 \u00a76.6)",
      "key": "00000000000000000000000000000000",
      "keyNo": "00",
      "rndA": "13C5DB8A5930439FC3DEF9A4C675360F",
      "rndB": "B9E2FC789B64BF237CCCAA20EC7E6E48",
      "capdu1": "9071000002000000",
      "rapdu1": "A04C124213C186F22399D33AC2A3021591AF",
      "capdu2": "90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00",
      "rapdu2": "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100",
      "TI": "9D00C4DF",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "SesAuthMACKey": "4C6626F5E72EA694202139295C7A7FC7"
    },
    {
      "source": "AN12196 AuthenticateEV2First key 0x03 (rev2.0 \u00a75.10 Table 19 / rev1.8 \u00a76.10 Table 20)",
      "key": "00000000000000000000000000000000",
      "keyNo": "03",
      "rndA": "B98F4C50CF1C2E084FD150E33992B048",
      "rndB": "91517975190DCEA6104948EFA3085C1B",
      "capdu1": "9071000002030000",
      "rapdu1": "B875CEB0E66A6C5CD00898DC371F92D191AF",
      "capdu2": "90AF000020FF0306E47DFBC50087C4D8A78E88E62DE1E8BE457AA477C707E2F0874916A8B100",
      "rapdu2": "0CC9A8094A8EEA683ECAAC5C7BF20584206D0608D477110FC6B3D5D3F65C3A6A9100",
      "TI": "7614281A",
      "SesAuthENCKey": "7A93D6571E4B180FCA6AC90C9A7488D4",
      "SesAuthMACKey": "FC4AF159B62E549B5812394CAB1918CC"
    }
  ],
  "ev2_auth_nonfirst": [],
  "session_keys": [
    {
      "source": "AN12196 AuthenticateEV2First key 0x00 (rev2.0 \u00a75.6 Table 14 / rev1.8 \u00a76.6)",
      "key": "00000000000000000000000000000000",
      "rndA": "13C5DB8A5930439FC3DEF9A4C675360F",
      "rndB": "B9E2FC789B64BF237CCCAA20EC7E6E48",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "SesAuthMACKey": "4C6626F5E72EA694202139295C7A7FC7"
    },
    {
      "source": "AN12196 AuthenticateEV2First key 0x03 (rev2.0 \u00a75.10 Table 19 / rev1.8 \u00a76.10 Table 20)",
      "key": "00000000000000000000000000000000",
      "rndA": "B98F4C50CF1C2E084FD150E33992B048",
      "rndB": "91517975190DCEA6104948EFA3085C1B",
      "SesAuthENCKey": "7A93D6571E4B180FCA6AC90C9A7488D4",
      "SesAuthMACKey": "FC4AF159B62E549B5812394CAB1918CC"
    }
  ],
  "iv": [
    {
      "source": "AN12196 WriteData Full (rev2.0 Table 17)",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "TI": "9D00C4DF",
      "counter": 0,
      "prefix": "A55A",
      "IV": "D2CB7277A17841A06654A48188C1F8F5"
    },
    {
      "source": "AN12196 ChangeFileSettings Full (rev2.0 Table 18)",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "TI": "9D00C4DF",
      "counter": 1,
      "prefix": "A55A",
      "IV": "3E27082AB2ACC1EF55C57547934E9962"
    }
  ],
  "mac": [
    {
      "source": "GetFileSettings CommMode.MAC (AN12196 rev1.8 \u00a75.3 Table 7/8)",
      "SesAuthMACKey": "8248134A386E86EB7FAF54A52E536CB6",
      "TI": "7A21085E",
      "counter": 0,
      "dir": "cmd",
      "code": "F5",
      "data": "02",
      "MACt": "6597A457C8CD442C"
    },
    {
      "source": "GetFileSettings CommMode.MAC (AN12196 rev1.8 \u00a75.3 Table 7/8) (response)",
      "SesAuthMACKey": "8248134A386E86EB7FAF54A52E536CB6",
      "TI": "7A21085E",
      "counter": 1,
      "dir": "resp",
      "code": "00",
      "data": "0040EEEE000100D1FE001F00004400004400002000006A0000",
      "MACt": "2A474282E7A47986"
    }
  ],
  "full_cmd": [
    {
      "source": "WriteData CommMode.Full 128 bytes (AN12196 rev2.0 \u00a75.8.2 Table 17)",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "SesAuthMACKey": "4C6626F5E72EA694202139295C7A7FC7",
      "TI": "9D00C4DF",
      "counter": 0,
      "code": "8D",
      "header": "02000000800000",
      "plain": "0051D1014D550463686F6F73652E75726C2E636F6D2F6E7461673432343F653D303030303030303030303030303030303030303030303030303030303030303026633D30303030303030303030303030303030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      "capdu": "908D00009F02000000800000421C73A27D827658AF481FDFF20A5025B559D0E3AA21E58D347F343CFFC768BFE596C706BC00F2176781D4B0242642A0FF5A42C461AAF894D9A1284B8C76BCFA658ACD40555D362E08DB15CF421B51283F9064BCBE20E96CAE545B407C9D651A3315B27373772E5DA2367D2064AE054AF996C6F1F669170FA88CE8C4E3A4A7BBBEF0FD971FF532C3A802AF745660F2B4D1D9A8499661EBF300"
    },
    {
      "source": "WriteData CommMode.Full 10 bytes (AN12196 rev1.8 \u00a76.12 p.36)",
      "SesAuthENCKey": "7A93D6571E4B180FCA6AC90C9A7488D4",
      "SesAuthMACKey": "FC4AF159B62E549B5812394CAB1918CC",
      "TI": "7614281A",
      "counter": 0,
      "code": "8D",
      "header": "030000000A0000",
      "plain": "0102030405060708090A",
      "capdu": "908D00001F030000000A00006B5E6804909962FC4E3FF5522CF0F8436C0C53315B9C73AA00"
    },
    {
      "source": "ChangeFileSettings CommMode.Full (AN12196 rev2.0 \u00a75.9 Table 18)",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "SesAuthMACKey": "4C6626F5E72EA694202139295C7A7FC7",
      "TI": "9D00C4DF",
      "counter": 1,
      "code": "5F",
      "header": "02",
      "plain": "4000E0C1F121200000430000430000",
      "capdu": "905F0000190261B6D97903566E84C3AE5274467E89EAD799B7C1A0EF7A0400"
    },
    {
      "source": "ChangeKey case 1: change key 02 != auth key (AN12196 rev2.0 Table 25)",
      "SesAuthENCKey": "4CF3CB41A22583A61E89B158D252FC53",
      "SesAuthMACKey": "5529860B2FC5FB6154B7F28361D30BF9",
      "TI": "7614281A",
      "counter": 2,
      "code": "C4",
      "header": "02",
      "plain": "F3847D627727ED3BC9C4CC050489B96601789DFADC",
      "capdu": "90C4000029022CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC75D0CE20BCD1D06E600"
    }
  ],
  "full_resp": [
    {
      "source": "WriteData CommMode.Full 10 bytes (AN12196 rev1.8 \u00a76.12 p.36) (response)",
      "SesAuthENCKey": "7A93D6571E4B180FCA6AC90C9A7488D4",
      "SesAuthMACKey": "FC4AF159B62E549B5812394CAB1918CC",
      "TI": "7614281A",
      "counter": 1,
      "rapdu": "C26D236E4A7C046D9100",
      "plain": ""
    },
    {
      "source": "ChangeFileSettings CommMode.Full (AN12196 rev2.0 \u00a75.9 Table 18) (response)",
      "SesAuthENCKey": "1309C877509E5A215007FF0ED19CA564",
      "SesAuthMACKey": "4C6626F5E72EA694202139295C7A7FC7",
      "TI": "9D00C4DF",
      "counter": 2,
      "rapdu": "57BFF87B1241E93D9100",
      "plain": ""
    },
    {
      "source": "WriteData CommMode.Full 10 bytes (AN12196 rev1.8 \u00a76.12 p.36) (response) with one MAC bit flipped: must be rejected",
      "SesAuthENCKey": "7A93D6571E4B180FCA6AC90C9A7488D4",
      "SesAuthMACKey": "FC4AF159B62E549B5812394CAB1918CC",
      "TI": "7614281A",
      "counter": 1,
      "rapdu": "C26D236F4A7C046D9100",
      "plain": "",
      "valid": false
    }
  ],
  "tmac_session_keys": [
    {
      "source": "proxmark3 desfiretest.c TestTransSessionKeys (formula per MF2DLHX0 \u00a710.3.2.3)",
      "AppTransactionMACKey": "66A8CB93269DC9BC2885B7A91B9C697B",
      "TMC_before": 8,
      "uid": "04010203040506",
      "SesTMMACKey": "7C1AD2D9C5C08154A0A4914B401A6598",
      "SesTMENCKey": "119B902A07B18A865B8E1B0060594784"
    }
  ]
} as const;
