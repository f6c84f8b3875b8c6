#include "textflag.h"

// func lineEndsAVX2(buf []byte, ends []int, quotes []int) (lines int)
//
// lineEnds' search over buf, whose length is a multiple of 32, thirty-two
// bytes at a time: each block gives a mask of its line feeds (AX) and one
// of its quotes (DX). For each line feed, lowest first, the quotes before
// it in the block join those counted since the last line end (R12), and
// the offset just past it and that count are stored.
TEXT ·lineEndsAVX2(SB), NOSPLIT, $0-80
	MOVQ buf_base+0(FP), SI
	MOVQ buf_len+8(FP), BX
	MOVQ ends_base+24(FP), DI
	MOVQ ends_len+32(FP), R9
	MOVQ quotes_base+48(FP), R10
	XORQ R11, R11          // lines found
	XORQ R12, R12          // quotes since the last line end
	XORQ R13, R13          // the block's offset
	MOVQ $0x0a, AX
	MOVQ AX, X10
	VPBROADCASTB X10, Y10  // line feeds
	MOVQ $0x22, AX
	MOVQ AX, X11
	VPBROADCASTB X11, Y11  // quotes
	TESTQ R9, R9
	JZ    done

block:
	CMPQ R13, BX
	JAE  done
	VMOVDQU (SI)(R13*1), Y0
	VPCMPEQB Y10, Y0, Y1
	VPMOVMSKB Y1, AX
	VPCMPEQB Y11, Y0, Y2
	VPMOVMSKB Y2, DX
	TESTL AX, AX
	JNZ   line

rest:
	POPCNTL DX, DX
	ADDQ DX, R12
	ADDQ $32, R13
	JMP  block

line:
	BSFL AX, CX            // the line feed's place in the block
	MOVL $1, R8
	SHLL CX, R8
	DECL R8                // the places before it
	LEAQ 1(R13)(CX*1), CX
	MOVQ CX, (DI)(R11*8)   // the offset just past it
	MOVL DX, CX
	ANDL R8, CX
	POPCNTL CX, CX
	ADDQ CX, R12
	MOVQ R12, (R10)(R11*8) // the line's quotes
	INCQ R11
	XORQ R12, R12
	NOTL R8
	ANDL R8, DX            // the quotes after it
	LEAL -1(AX), R8
	ANDL R8, AX            // the next line feed
	CMPQ R11, R9
	JAE  done
	TESTL AX, AX
	JNZ   line
	JMP   rest

done:
	MOVQ R11, lines+72(FP)
	VZEROUPPER
	RET
